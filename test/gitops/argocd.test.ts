import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { APP_GROUPS, loadEnvironments, type EnvironmentConfig } from '../../manifests-src/config';
import { ARGOCD, renderArgoCd } from '../../manifests-src/gitops';
import { renderDist } from '../../manifests-src/synth';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const VALIDATOR = 'manifests-src/gitops/validate-argocd.mts';

const envs = loadEnvironments();
const dist = renderDist(envs);
const argocd = renderArgoCd(envs, dist);
const docs = (text: string): any[] => text.split(/^---\n/m).slice(1).map((d) => parse(d));
const objectsOf = (files: Map<string, string>) => [...files].flatMap(([file, text]) => docs(text).map((obj) => ({ file, obj })));
const apps = objectsOf(argocd).filter((o) => o.obj.kind === 'Application');
const groupApps = (env: string) => apps.filter((a) => a.file.startsWith(`${env}/apps/`)).map((a) => a.obj);

function readTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

describe('argocd/ generator', () => {
  test('the committed argocd/ is what synth renders from the committed config (run `npm run synth` if not)', () => {
    const onDisk = readTree(path.join(ROOT, 'argocd'));
    expect([...onDisk.keys()].sort()).toEqual([...argocd.keys()].sort());
    for (const [file, text] of argocd) expect(`${file}\n${onDisk.get(file)}`).toBe(`${file}\n${text}`);
  });

  test.each(envs.map((e) => [e.name, e] as const))('%s: one Application per APP_GROUPS entry, each path an existing dist/ folder', (name) => {
    const byGroup = groupApps(name);
    expect(byGroup.map((a) => a.spec.source.path).sort()).toEqual(APP_GROUPS.map((g) => `dist/${name}/${g.name}`).sort());
    for (const app of byGroup) {
      const folder = path.join(ROOT, app.spec.source.path);
      expect(fs.existsSync(folder)).toBe(true);
      expect(fs.readdirSync(folder).filter((f) => f.endsWith('.yaml')).length).toBeGreaterThan(0);
    }
    // The root syncs the folder these Applications are in.
    const root = apps.find((a) => a.file === `${name}/root.yaml`)!.obj;
    expect(fs.existsSync(path.join(ROOT, root.spec.source.path))).toBe(true);
    expect(root.spec.source.path).toBe(`argocd/${name}/apps`);
  });

  test.each(envs.map((e) => [e.name, e] as const))('%s: sync waves follow APP_GROUPS; the project comes first', (name) => {
    const waveOf = (o: any) => Number(o.metadata.annotations[ARGOCD.syncWave]);
    const byGroup = groupApps(name);
    for (const g of APP_GROUPS) expect(waveOf(byGroup.find((a) => a.spec.source.path.endsWith(`/${g.name}`)))).toBe(g.wave);
    // In APP_GROUPS order the waves never go down: platform syncs (and is healthy) before Airflow.
    const waves = APP_GROUPS.map((g) => waveOf(byGroup.find((a) => a.spec.source.path.endsWith(`/${g.name}`))));
    expect(waves).toEqual([...waves].sort((a, b) => a - b));
    expect(waves[0]).toBeLessThan(waves[waves.length - 1]);
    const project = docs(argocd.get(`${name}/apps/project.yaml`)!)[0];
    expect(waveOf(project)).toBeLessThan(Math.min(...APP_GROUPS.map((g) => g.wave)));
  });

  test.each(envs.map((e) => [e.name, e] as const))('%s: repoURL and targetRevision come from env.gitops', (name, env) => {
    const mine = apps.filter((a) => a.file.startsWith(`${name}/`)).map((a) => a.obj);
    expect(mine.length).toBe(APP_GROUPS.length + 1);
    for (const app of mine) {
      expect(app.spec.source.repoURL).toBe(env.gitops.repoUrl);
      expect(app.spec.source.targetRevision).toBe(env.gitops.targetRevision);
      expect(app.metadata.finalizers).toEqual([ARGOCD.finalizer]);
      expect(app.spec.syncPolicy.automated).toMatchObject({ prune: true, selfHeal: true });
      expect(app.spec.syncPolicy.retry.backoff.factor).toBeGreaterThan(1);
      expect(app.spec.syncPolicy.syncOptions).toEqual(expect.arrayContaining(['CreateNamespace=true', 'PruneLast=true']));
    }
    expect(docs(argocd.get(`${name}/apps/project.yaml`)!)[0].spec.sourceRepos).toEqual([env.gitops.repoUrl]);
  });

  test('a gitops change in the config moves every Application of that environment only', () => {
    const changed: EnvironmentConfig[] = envs.map((e) => (e.name === 'dev' ? { ...e, gitops: { ...e.gitops, targetRevision: 'release-42' } } : e));
    const out = objectsOf(renderArgoCd(changed, dist)).filter((o) => o.obj.kind === 'Application');
    expect(out.filter((o) => o.file.startsWith('dev/')).every((o) => o.obj.spec.source.targetRevision === 'release-42')).toBe(true);
    expect(out.filter((o) => !o.file.startsWith('dev/')).some((o) => o.obj.spec.source.targetRevision === 'release-42')).toBe(false);
  });

  test('the worker replica count KEDA owns is ignored, and nothing else of the Deployment', () => {
    for (const env of envs) {
      const airflow = groupApps(env.name).find((a) => a.spec.source.path.endsWith('/airflow'));
      const scaled = objectsOf(dist).filter((o) => o.file.startsWith(`${env.name}/`) && o.obj.kind === 'ScaledObject');
      expect(scaled.length).toBeGreaterThan(0);
      for (const so of scaled) {
        // Each ScaledObject's target is ignored in the Application of its own folder (airflow, or pgbouncer with office hours).
        const app = groupApps(env.name).find((a) => a.spec.source.path.endsWith(`/${so.file.split('/')[1]}`));
        expect(app.spec.ignoreDifferences).toContainEqual({
          group: 'apps',
          kind: 'Deployment',
          name: so.obj.spec.scaleTargetRef.name,
          namespace: so.obj.metadata.namespace,
          jsonPointers: ['/spec/replicas'],
        });
      }
      // Fixed-size Deployments (scheduler, api-server) stay under drift detection.
      const deploymentRules = airflow.spec.ignoreDifferences.filter((r: any) => r.kind === 'Deployment');
      expect(deploymentRules.every((r: any) => r.name)).toBe(true);
    }
  });

  test('ExternalSecret status is ignored where ExternalSecrets are deployed; webhook CA bundles everywhere', () => {
    const secrets = groupApps('prod').find((a) => a.spec.source.path.endsWith('/secrets'));
    expect(secrets.spec.ignoreDifferences).toContainEqual({ group: 'external-secrets.io', kind: 'ExternalSecret', jsonPointers: ['/status'] });
    for (const app of groupApps('prod')) {
      expect(app.spec.ignoreDifferences.map((r: any) => r.kind)).toEqual(
        expect.arrayContaining(['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']),
      );
    }
    const pgbouncer = groupApps('prod').find((a) => a.spec.source.path.endsWith('/pgbouncer'));
    expect(pgbouncer.spec.ignoreDifferences.map((r: any) => r.kind)).not.toContain('ExternalSecret');
  });

  test('every Application that syncs custom resources server-side is also diffed server-side, in every environment (CRD defaults are not drift)', () => {
    for (const env of envs) {
      for (const app of groupApps(env.name)) {
        const folder = app.spec.source.path.replace(/^dist\//, '');
        const custom = objectsOf(dist).some((o) => o.file.startsWith(`${folder}/`) && !['v1', 'apps/v1', 'batch/v1', 'policy/v1', 'networking.k8s.io/v1', 'rbac.authorization.k8s.io/v1'].includes(o.obj.apiVersion));
        const ssa = app.spec.syncPolicy.syncOptions.includes('ServerSideApply=true');
        expect({ app: app.metadata.name, custom, ssa }).toEqual({ app: app.metadata.name, custom, ssa: custom });
        expect({ app: app.metadata.name, compare: app.metadata.annotations['argocd.argoproj.io/compare-options'] }).toEqual({ app: app.metadata.name, compare: ssa ? 'ServerSideDiff=true' : undefined });
      }
    }
  });

  test('the project allows exactly the cluster-scoped kinds dist/ contains', () => {
    const project = docs(argocd.get('prod/apps/project.yaml')!)[0];
    const clusterScoped = objectsOf(dist)
      .filter((o) => o.file.startsWith('prod/') && !o.obj.metadata.namespace)
      .map((o) => `${o.obj.apiVersion.includes('/') ? o.obj.apiVersion.split('/')[0] : ''}/${o.obj.kind}`);
    expect(project.spec.clusterResourceWhitelist.map((k: any) => `${k.group}/${k.kind}`).sort()).toEqual([...new Set(clusterScoped)].sort());
  });
});

describe('Argo CD schema validation', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'argocd-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const validate = (files: string[]) => {
    const r = spawnSync(TSX, [VALIDATOR, ...files], { cwd: ROOT, encoding: 'utf8' });
    return { status: r.status, report: r.stdout ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
  };

  test('every generated Application and AppProject is valid against the Argo CD CRD schema', () => {
    const files = [...argocd.keys()].map((f) => path.join(ROOT, 'argocd', f));
    const r = validate(files);
    expect(r.report).toEqual({ checked: argocd.size, problems: [] });
    expect(r.status).toBe(0);
  });

  test('an invalid Application is rejected (the check can fail)', () => {
    const good = docs(argocd.get('prod/apps/airflow.yaml')!)[0];
    const bad = { ...good, spec: { ...good.spec, project: 7, syncPolicy: { ...good.spec.syncPolicy, retry: { limit: 'five' } } } };
    const file = path.join(tmp, 'bad.yaml');
    fs.writeFileSync(file, JSON.stringify(bad));
    const r = validate([file]);
    expect(r.status).toBe(1);
    expect(r.report.problems[0].message).toMatch(/spec\/project must be string/);
    expect(r.report.problems[0].message).toMatch(/retry\/limit must be integer/);
  });
});

describe('synth writes argocd/ next to dist/', () => {
  test('npm run synth:manifests --out DIR/dist also writes DIR/argocd', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-argocd-'));
    try {
      const r = spawnSync(TSX, ['manifests-src/main.ts', '--out', path.join(tmp, 'dist')], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(readTree(path.join(tmp, 'argocd'))).toEqual(argocd);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
