/**
 * The operator images (cluster/operators/images.ts): one archive per chart image reference, and each image runs what
 * the install needs, under podman (runc, cgroupfs), read-only, without network. Needs the operator binaries
 * (`npm run cluster:operators -- build`) and podman: missing -> the tests fail and say which.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { operatorBuilt } from '../../cluster/operators/build';
import { operatorImageRefs, operatorImages, type ImageArchive } from '../../cluster/operators/images';
import { OPERATORS, type OperatorName } from '../../cluster/operators/sources';

jest.setTimeout(30 * 60_000);

let images: ImageArchive[] = [];
let setupError: Error | undefined;
let unbuilt: OperatorName[] = [];
const conf = mkdtempSync(join(tmpdir(), 'airflow-eks-operator-images-'));
// The machine's own podman config is left alone: crun and the default ulimits do not work here.
writeFileSync(join(conf, 'containers.conf'), '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n');
const podmanEnv = { ...process.env, CONTAINERS_CONF: join(conf, 'containers.conf') };

beforeAll(() => {
  try {
    unbuilt = OPERATORS.filter((o) => !operatorBuilt(o));
    if (spawnSync('podman', ['--version']).status !== 0) throw new Error('podman is not installed (apt-get install podman runc)');
    images = operatorImages(OPERATORS.filter((o) => !unbuilt.includes(o)));
    for (const i of images) {
      const load = spawnSync('podman', ['load', '-q', '-i', i.archive], { env: podmanEnv, encoding: 'utf8' });
      if (load.status !== 0) throw new Error(`podman load ${i.archive}: ${load.stderr}`);
    }
  } catch (err) {
    setupError = err as Error;
  }
});

afterAll(() => rmSync(conf, { recursive: true, force: true }));

/** Fails with the reason when the setup or an operator's binaries are missing (never a skip). */
function ready(...operators: OperatorName[]): void {
  if (setupError) throw new Error(`operator images setup failed: ${setupError.message}`);
  const missing = operators.filter((o) => unbuilt.includes(o));
  if (missing.length) throw new Error(`operator binaries not built: ${missing.join(', ')} (npm run cluster:operators -- build)`);
}

/** Runs an image read-only without network; stdout + stderr. */
function run(ref: string, args: string[], entrypoint?: string): { status: number | null; out: string } {
  const res = spawnSync('podman', ['run', '--rm', '--read-only', '--network', 'none', ...(entrypoint ? ['--entrypoint', entrypoint] : []), ref, ...args], { env: podmanEnv, encoding: 'utf8' });
  return { status: res.status, out: `${res.stdout}${res.stderr}` };
}

const ref = (name: string) => {
  const found = images.find((i) => i.ref.includes(name));
  if (!found) throw new Error(`no image for ${name} among ${images.map((i) => i.ref).join(', ')}`);
  return found.ref;
};

test('one cached archive per chart image reference', () => {
  ready(...OPERATORS);
  expect(images.map((i) => i.ref).sort()).toEqual([...operatorImageRefs()].sort());
  for (const i of images) expect(existsSync(i.archive)).toBe(true);
  // A second call finds every archive in the cache (same content keys).
  expect(operatorImages(OPERATORS)).toEqual(images);
});

test('Argo CD: uid 999, components by argv[0], git/ssh and the git wrappers on PATH', () => {
  ready('argocd');
  const script = 'id -u && argocd-repo-server --help >/dev/null && argocd-application-controller --help >/dev/null && echo components-ok && git --version && ssh -V 2>&1 && for f in git-verify-wrapper.sh gpg-wrapper.sh git-ask-pass.sh; do command -v $f; done';
  const r = run(ref('argoproj/argocd'), ['sh', '-c', script]);
  expect(r.out).toMatch(/^999\n/);
  expect(r.out).toContain('components-ok');
  expect(r.out).toMatch(/git version \d/);
  expect(r.out).toMatch(/OpenSSH/);
  expect(r.out).toContain('/usr/local/bin/git-ask-pass.sh');
  expect(r.status).toBe(0);
});

test("Argo CD's Redis image runs redis-server", () => {
  ready('argocd');
  const r = run(ref('library/redis'), ['--version']);
  expect(r.out).toMatch(/Redis server v=\d/);
});

test('KEDA operator, metrics API server and External Secrets binaries start as non-root', () => {
  ready('keda', 'externalSecrets');
  expect(run(ref('kedacore/keda:'), ['--help']).out).toContain('--enable-cert-rotation');
  expect(run(ref('keda-metrics-apiserver'), ['--help']).out).toContain('--secure-port');
  expect(run(ref('external-secrets/external-secrets'), ['--help']).out).toContain('certcontroller');
  for (const name of ['kedacore/keda:', 'keda-metrics-apiserver', 'external-secrets/external-secrets']) {
    const inspect = spawnSync('podman', ['image', 'inspect', '--format', '{{.Config.User}}', ref(name)], { env: podmanEnv, encoding: 'utf8' });
    expect(Number(inspect.stdout.trim())).toBeGreaterThan(0);
  }
});
