import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

/**
 * The validator loads the ESM-only kubernetes-models at run time, so it is exercised the way CI and
 * `npm run validate` run it: as a child process. One spawn per directory keeps this fast.
 */
const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const CLI = path.join(ROOT, 'manifests-src/validate/cli.ts');

function validate(...dirs: string[]) {
  const r = spawnSync(TSX, [CLI, ...dirs], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, lines: r.stdout.trim().split('\n'), stdout: r.stdout, stderr: r.stderr };
}

/** A real object from the committed dist/, deep-copied so a test can break it. */
function distObject(file: string, kind: string, name?: string): any {
  const docs = parseAllDocuments(fs.readFileSync(path.join(ROOT, 'dist', file), 'utf8')).map((d) => d.toJS());
  const hit = docs.find((o) => o?.kind === kind && (name === undefined || o.metadata?.name === name));
  if (!hit) throw new Error(`${kind} ${name ?? ''} not in dist/${file}`);
  return structuredClone(hit);
}

function write(dir: string, file: string, obj: unknown) {
  fs.writeFileSync(path.join(dir, file), `---\n${stringify(obj)}`);
}

describe('npm run validate', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'validate-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('the committed dist/ is clean', () => {
    const r = validate('dist');
    expect(r.lines.filter((l) => !l.startsWith('validated'))).toEqual([]);
    expect(r.stdout).toMatch(/validated \d+ objects in \d+ files: 0 errors \(\d+ ms\)/);
    expect(Number(/validated (\d+) objects/.exec(r.stdout)![1])).toBeGreaterThan(100);
    expect(r.status).toBe(0);
  });

  describe('each broken fixture fails with a line naming the file, object, field and problem', () => {
    const bad = () => path.join(tmp, 'bad');
    let result: ReturnType<typeof validate>;

    beforeAll(() => {
      fs.mkdirSync(bad());
      const wrongType = distObject('prod/airflow/scheduler.yaml', 'Deployment');
      wrongType.spec.replicas = 'two';
      write(bad(), 'wrong-type.yaml', wrongType);

      const badEnum = distObject('prod/airflow/scheduler.yaml', 'Deployment');
      badEnum.spec.template.spec.containers[0].imagePullPolicy = 'Sometimes';
      write(bad(), 'bad-enum.yaml', badEnum);

      const nodePool = distObject('prod/platform/karpenter.yaml', 'NodePool');
      nodePool.spec.disruption.consolidationPolicy = 'WhenEmptyOrUnderUtilized';
      write(bad(), 'nodepool-enum.yaml', nodePool);

      const noName = distObject('prod/airflow/scheduler.yaml', 'Deployment');
      delete noName.spec.template.spec.containers[0].name;
      write(bad(), 'missing-required.yaml', noName);

      const replicaz = distObject('prod/airflow/scheduler.yaml', 'Deployment');
      replicaz.spec.replicaz = replicaz.spec.replicas;
      delete replicaz.spec.replicas;
      write(bad(), 'unknown-field.yaml', replicaz);

      const scaled = distObject('prod/airflow/worker.yaml', 'ScaledObject');
      const { metadata, ...trigger } = scaled.spec.triggers[0];
      scaled.spec.triggers[0] = { ...trigger, metadta: metadata };
      write(bad(), 'crd-nested-unknown.yaml', scaled);

      const store = distObject('prod/platform/secret-store.yaml', 'ClusterSecretStore');
      const { aws, ...otherProviders } = store.spec.provider;
      store.spec.provider = { ...otherProviders, awz: aws }; // provider's keys are counted (maxProperties), not read
      write(bad(), 'counted-keys-unknown.yaml', store);

      write(bad(), 'unknown-kind.yaml', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'airflow' } });
      write(bad(), 'nested-type-as-kind.yaml', { apiVersion: 'apps/v1', kind: 'DeploymentSpec', metadata: { name: 'd' } });

      result = validate(bad());
    });

    const cases: [string, string, RegExp][] = [
      ['a wrong type', 'wrong-type.yaml', /: Deployment airflow\/[\w-]+: spec\.replicas: must be integer, got string "two"$/],
      ['a bad enum', 'bad-enum.yaml', /: Deployment airflow\/[\w-]+: spec\.template\.spec\.containers\[0\]\.imagePullPolicy: must be one of Always, IfNotPresent, Never; got string "Sometimes"$/],
      ['a bad CRD enum', 'nodepool-enum.yaml', /: NodePool [\w-]+: spec\.disruption\.consolidationPolicy: must be one of WhenEmpty, WhenEmptyOrUnderutilized; got string "WhenEmptyOrUnderUtilized"$/],
      ['a missing required field', 'missing-required.yaml', /: Deployment airflow\/[\w-]+: spec\.template\.spec\.containers\[0\]\.name: required field missing$/],
      ['a misspelled field', 'unknown-field.yaml', /: Deployment airflow\/[\w-]+: spec\.replicaz: unknown field$/],
      ['a misspelled field inside a CRD', 'crd-nested-unknown.yaml', /: ScaledObject airflow\/[\w-]+: spec\.triggers\[0\]\.metadta: unknown field$/],
      ['the field the typo replaced', 'crd-nested-unknown.yaml', /: ScaledObject airflow\/[\w-]+: spec\.triggers\[0\]\.metadata: required field missing$/],
      ['a misspelled key where the schema counts keys', 'counted-keys-unknown.yaml', /: ClusterSecretStore [\w-]+: spec\.provider\.awz: unknown field$/],
      ['an unknown kind', 'unknown-kind.yaml', /: Widget airflow\/w: kind: unknown kind Widget \(apiVersion example\.com\/v1\)/],
      ['a nested type used as a kind', 'nested-type-as-kind.yaml', /: DeploymentSpec d: kind: unknown kind DeploymentSpec/],
    ];

    test.each(cases)('%s', (_label, file, line) => {
      const ofFile = result.lines.filter((l) => l.startsWith(`${path.join(bad(), file)}: `));
      expect(ofFile).toEqual(expect.arrayContaining([expect.stringMatching(line)]));
    });

    test('nothing else is reported, the summary counts every error, and the exit code is 1', () => {
      const problems = result.lines.filter((l) => !l.startsWith('validated'));
      // each fixture breaks exactly one thing, except the renamed trigger field (unknown + now missing)
      expect(problems).toHaveLength(cases.length);
      expect(result.stdout).toMatch(new RegExp(`validated 9 objects in 9 files: ${cases.length} errors`));
      expect(result.status).toBe(1);
    });
  });

  test('open parts of a schema stay open: maps, free-form values, fields the compiled schema omits', () => {
    const good = path.join(tmp, 'good');
    fs.mkdirSync(good);
    const deployment = distObject('prod/airflow/scheduler.yaml', 'Deployment');
    deployment.metadata.labels = { ...deployment.metadata.labels, 'example.com/anything': 'x' }; // a map
    deployment.metadata.annotations = { 'example.com/team': 'data' };
    write(good, 'deployment.yaml', deployment);
    write(good, 'project.yaml', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: 'p', namespace: 'argocd' },
      spec: { description: 'declared, but compiled without a check', sourceRepos: ['*'] },
    });
    write(good, 'application.yaml', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'a', namespace: 'argocd' },
      spec: {
        project: 'p',
        destination: { server: 'https://kubernetes.default.svc', namespace: 'airflow' },
        source: { repoURL: 'https://example.com/r.git', path: 'x', helm: { valuesObject: { any: { nested: ['thing'] } } } },
      },
    });
    const r = validate(good, path.join(tmp, 'does-not-exist'));
    expect(r.lines).toEqual([`note: ${path.join(tmp, 'does-not-exist')}/ does not exist, skipped`, expect.stringMatching(/^validated 3 objects in 3 files: 0 errors/)]);
    expect(r.status).toBe(0);
  });
});
