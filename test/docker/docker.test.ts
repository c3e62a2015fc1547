import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { imageRef, loadEnvironments } from '../../manifests-src/config';
import { buildSettings, ecrRegistry, mirrorPairs } from '../../docker/image-config';
import { registriesKey, repositoryNames } from '../../infra/lib/registries';

const ROOT = path.resolve(__dirname, '../..');
const bash = (script: string, args: string[]) => spawnSync('bash', [script, ...args], { cwd: ROOT, encoding: 'utf8' });
const envs = loadEnvironments();
const env = (name: string) => envs.find((e) => e.name === name)!;

/** Every `image:` of the committed dist/ of one environment. */
function distImages(name: string): Set<string> {
  const images = new Set<string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else
        for (const doc of parseAllDocuments(fs.readFileSync(p, 'utf8'))) {
          JSON.stringify(doc.toJS(), (k, v) => (k === 'image' && typeof v === 'string' ? (images.add(v), v) : v));
        }
    }
  };
  walk(path.join(ROOT, 'dist', name));
  return images;
}

describe('docker/lint.sh', () => {
  test('the repository Dockerfiles and shell scripts pass', () => {
    const r = bash('docker/lint.sh', []);
    expect(r.stdout).toMatch(/hadolint 2 Dockerfile/);
    expect(r.stdout).toMatch(/lint: ok/);
    expect(r.status).toBe(0);
  });

  test('a bad Dockerfile fails hadolint', () => {
    const r = bash('docker/lint.sh', ['test/docker/fixtures/Dockerfile']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/DL3007/); // :latest
    expect(r.stdout).toMatch(/DL3003/); // cd inside RUN
  });

  test('a bad shell script fails shellcheck', () => {
    const r = bash('docker/lint.sh', ['test/docker/fixtures/bad.sh']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/SC2086/); // unquoted expansion
    expect(r.stdout).toMatch(/SC2006/); // backticks
  });
});

describe('image settings from the config', () => {
  test('ECR host names are partition-aware', () => {
    expect(ecrRegistry(env('prod'))).toBe(`${env('prod').aws.account}.dkr.ecr.us-east-1.amazonaws.com`);
    expect(ecrRegistry(env('prod-cn'))).toMatch(/\.dkr\.ecr\.cn-north-1\.amazonaws\.com\.cn$/);
  });

  test('the build uses the configured Airflow version and the image tag dist/ references', () => {
    for (const e of envs) {
      const s = buildSettings(e);
      expect(s.AIRFLOW_VERSION).toBe(e.airflow.version);
      expect(s.IMAGE_TAG).toBe(e.images.airflow.tag);
      expect(s.IMAGE_TAG.startsWith(`${e.airflow.version}-python${s.PYTHON_VERSION}`)).toBe(true);
    }
  });

  test('every environment runs exactly the Airflow image build.sh pushes (our image: git provider and git binary)', () => {
    for (const e of envs) {
      const s = buildSettings(e);
      const airflow = [...distImages(e.name)].filter((i) => i.includes(`/${e.images.airflow.repository}:`));
      expect(airflow).toEqual([`${s.REGISTRY}/${s.REPOSITORY}:${s.IMAGE_TAG}`]);
    }
  });

  test('every environment pulls only from its own ECR registry, in repositories the registries stack creates, filled by build + mirror', () => {
    expect(env('prod-cn').images.mirrorRegistry).toBeDefined();
    expect(env('prod').images.mirrorRegistry).toBeUndefined();
    for (const e of envs) {
      const registry = e.images.mirrorRegistry ?? ecrRegistry(e);
      const repositories = new Set(repositoryNames(envs.filter((x) => registriesKey(x) === registriesKey(e))));
      const s = buildSettings(e);
      const built = [`${s.REGISTRY}/${s.REPOSITORY}:${s.IMAGE_TAG}`, `${s.REGISTRY}/${s.PGBOUNCER_REPOSITORY}:${s.PGBOUNCER_TAG}`];
      const provided = new Set([...mirrorPairs(e).map((p) => p.target), ...built]);
      for (const image of distImages(e.name)) {
        expect(`${e.name}: ${image.startsWith(`${registry}/`) ? 'ours' : image}`).toBe(`${e.name}: ours`);
        expect(repositories).toContain(image.slice(registry.length + 1, image.lastIndexOf(':')));
        expect(provided).toContain(image);
      }
    }
  });

  test('build.sh --dry-run: multi-arch buildx push with version and git SHA tags', () => {
    const r = bash('docker/build.sh', ['prod-cn', '--dry-run']);
    expect(r.status).toBe(0);
    const s = buildSettings(env('prod-cn'));
    const sha = spawnSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
    const build = r.stdout.split('\n').find((l) => l.startsWith('+ docker buildx build'))!;
    expect(build).toMatch(/--platform linux\/arm64\\?,linux\/amd64/);
    expect(build).toContain(`--build-arg AIRFLOW_VERSION=${s.AIRFLOW_VERSION}`);
    expect(build).toContain(`--tag ${s.REGISTRY}/${s.REPOSITORY}:${s.IMAGE_TAG} `);
    expect(build).toContain(`--tag ${s.REGISTRY}/${s.REPOSITORY}:${s.IMAGE_TAG}-g${sha}`);
    expect(build).toContain('--push');
    expect(r.stdout).toMatch(/aws ecr get-login-password --region cn-north-1/);
  });

  test('build.sh --dry-run: the PgBouncer image installs exactly the pinned Debian package, tagged with its version', () => {
    const r = bash('docker/build.sh', ['prod-cn', '--dry-run']);
    expect(r.status).toBe(0);
    const cn = env('prod-cn');
    const s = buildSettings(cn);
    const build = r.stdout.split('\n').find((l) => l.startsWith('+ docker buildx build') && l.includes('docker/pgbouncer/Dockerfile'))!;
    expect(build).toMatch(/--platform linux\/arm64\\?,linux\/amd64/);
    expect(build).toContain(`--build-arg PGBOUNCER_VERSION=${cn.images.pgbouncer.packageVersion} `);
    expect(build).toContain(`--build-arg DEBIAN_SUITE=${cn.images.pgbouncer.suite}`);
    expect(build).toContain(`--tag ${imageRef(cn, 'pgbouncer')} `);
    expect(s.PGBOUNCER_TAG).toBe(cn.images.pgbouncer.packageVersion.replace(/[+:~]/g, '_'));
    // The Dockerfile takes both from build.sh only: no default that could drift from the config's pin.
    const dockerfile = fs.readFileSync(path.join(ROOT, 'docker/pgbouncer/Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^ARG PGBOUNCER_VERSION$/m);
    expect(dockerfile).toMatch(/^ARG DEBIAN_SUITE$/m);
    expect(dockerfile).toMatch(/"pgbouncer=\$\{PGBOUNCER_VERSION\}"/);
  });

  test('mirror.sh --dry-run copies each third-party image once, never our own Airflow and PgBouncer images', () => {
    const r = bash('docker/mirror.sh', ['prod-cn', '--dry-run']);
    expect(r.status).toBe(0);
    const copies = r.stdout.split('\n').filter((l) => l.startsWith('+ docker buildx imagetools create'));
    expect(copies.length).toBe(mirrorPairs(env('prod-cn')).length);
    const cn = env('prod-cn');
    expect(copies.join('\n')).not.toContain(`${cn.images.airflow.repository}:${cn.images.airflow.tag}`);
    expect(copies.join('\n')).not.toContain(`${cn.images.pgbouncer.repository}:`);
  });
});

describe('docker/airflow/Dockerfile', () => {
  const dockerfile = fs.readFileSync(path.join(ROOT, 'docker/airflow/Dockerfile'), 'utf8');
  test('official multi-arch base, version from a build ARG, non-root, hash-checked lock per architecture', () => {
    // The base is a build argument (the local cluster passes its own), defaulting to the official image.
    expect(dockerfile).toMatch(/^ARG BASE_IMAGE=docker\.io\/apache\/airflow:\$\{AIRFLOW_VERSION\}-python\$\{PYTHON_VERSION\}$/m);
    expect(dockerfile).toMatch(/^FROM \$\{BASE_IMAGE\}$/m);
    expect(dockerfile).toMatch(/^USER 50000$/m);
    expect(dockerfile).toMatch(/--require-hashes/);
    expect(dockerfile).toMatch(/\$\{TARGETARCH\}\.lock/);
    expect(dockerfile).not.toMatch(/^(ENV|ARG)\s+\S*(PASSWORD|SECRET|TOKEN|KEY)\b/im);
  });

  test('the aarch64 lock pins the same packages as the x86_64 lock, each with hashes', () => {
    const pins = (file: string) =>
      fs
        .readFileSync(path.join(ROOT, file), 'utf8')
        .split('\n')
        .filter((l) => /^[a-z0-9]/i.test(l))
        .map((l) => l.split(' ')[0]);
    const arm = pins('docker/airflow/requirements.lock');
    expect(arm).toContain(`apache-airflow==${envs[0].airflow.version}`);
    expect(arm).toEqual(pins('requirements/airflow.lock'));
    expect(fs.readFileSync(path.join(ROOT, 'docker/airflow/requirements.lock'), 'utf8')).toMatch(/aarch64-unknown-linux-gnu/);
  });
});
