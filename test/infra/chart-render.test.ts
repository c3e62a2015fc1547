import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadEnvironments } from '../../manifests-src/config';
import { CHARTS, chartImages, type ChartSpec } from '../../infra/lib/charts';
import { chartNameOf, droppedSubcharts, helmBinary, helmReleases, imagesOf, moduleChartDir, renderChart, type HelmRelease } from '../../infra/rehearsal/releases';
import { committedSynth } from './committed-synth';

/**
 * The real charts rendered with the values the prod-cn stack ships (read from its synthesized template): every image
 * must come from the ECR mirror and be exactly what the mirror step copies. Charts come from the operators' Go
 * modules (Karpenter, External Secrets) and render with Helm built from helm.sh/helm/v3. The others cannot be
 * obtained here (argo-helm, kedacore/charts and eks-charts are not Go modules; Reloader's module is refused by the
 * module proxy; the ALB controller's module stops at v1.1.9): their values are checked against the keys their
 * published values.yaml documents (fixtures/chart-values, source and commit inside each file).
 */
const [cn] = loadEnvironments().filter((e) => e.name === 'prod-cn');
const mirror = cn.images.mirrorRegistry!;
let releases: HelmRelease[];
let helm: string;
beforeAll(() => {
  releases = helmReleases(committedSynth().templates['prod-cn'].toJSON() as Parameters<typeof helmReleases>[0]);
  helm = helmBinary();
}, 1_800_000);

const rendered = (name: 'karpenter' | 'externalSecrets') => {
  const release = releases.find((r) => chartNameOf(r) === name)!;
  const dir = moduleChartDir(name)!;
  // A subchart the module does not vendor may only be dropped while our values keep it off.
  for (const d of droppedSubcharts(dir)) expect({ subchart: d.name, enabled: d.condition ? valueAt(release.values, d.condition) === true : true }).toEqual({ subchart: d.name, enabled: false });
  return renderChart(helm, dir, release);
};
const valueAt = (values: Record<string, unknown>, dotted: string): unknown => dotted.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), values);
const expectedImages = (spec: ChartSpec) => chartImages(spec).map((i) => `${mirror}/${i.repository}:${i.tag}`).sort();
const withoutDigest = (images: string[]) => [...new Set(images.map((i) => i.replace(/@sha256:[0-9a-f]+$/, '')))].sort();

test.each(['karpenter', 'externalSecrets'] as const)('%s: the real chart with our prod-cn values pulls only the mirrored images', (name) => {
  const objects = rendered(name);
  expect(objects.some((o) => o.kind === 'Deployment')).toBe(true);
  const images = imagesOf(objects);
  for (const image of images) expect(image.startsWith(`${mirror}/`)).toBe(true);
  expect(withoutDigest(images)).toEqual(expectedImages(CHARTS[name]));
});

test('Karpenter renders our settings and pins its controller to the system nodes', () => {
  const deployment = rendered('karpenter').find((o) => o.kind === 'Deployment')!;
  const env = Object.fromEntries((deployment.spec.template.spec.containers[0].env as Array<{ name: string; value?: string }>).map((e) => [e.name, e.value]));
  expect(env.CLUSTER_NAME).toBe(cn.cluster.name);
  expect(env.INTERRUPTION_QUEUE).toMatch(/^token-/);
  expect(deployment.spec.template.spec.nodeSelector).toMatchObject({ 'airflow-eks/node-pool': 'system' });
});

type Documented = { source: string; keys: string[]; openMaps: string[] };
/** Free-form maps the charts document with examples rather than an empty `{}`: any key below them is data. */
const FREE_FORM: Record<string, string[]> = { 'argo-cd': ['configs/cm', 'configs/params'] };

/** Leaf paths of a values object (`a/b/c`); objects under a free-form map end the path there. */
function leafPaths(v: unknown, prefix: string[] = [], out: string[] = []): string[] {
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length) for (const [k, c] of Object.entries(v)) leafPaths(c, [...prefix, k], out);
  else out.push(prefix.join('/'));
  return out;
}

test.each(['argo-cd', 'keda', 'reloader', 'aws-load-balancer-controller'])('%s: every value we set is a key its published values.yaml documents', (chart) => {
  const doc = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'chart-values', `${chart}.json`), 'utf8')) as Documented;
  const known = new Set(doc.keys);
  const open = [...doc.openMaps, ...(FREE_FORM[chart] ?? [])];
  const release = releases.find((r) => r.chart === chart)!;
  // A documented nodeSelector is a map of label keys (which contain '/'): anything below it is data.
  const underNodeSelector = (p: string) => { const i = p.indexOf('/nodeSelector/'); return i >= 0 && known.has(p.slice(0, i + '/nodeSelector'.length)); };
  const unknown = leafPaths(release.values).filter((p) => !known.has(p) && !open.some((m) => p.startsWith(`${m}/`)) && !underNodeSelector(p));
  expect({ chart, unknown }).toEqual({ chart, unknown: [] });
});

test('Reloader: the image is set where the chart reads it (top-level image), never under reloader.deployment', () => {
  const release = releases.find((r) => r.chart === 'reloader')!;
  expect(release.values).toMatchObject({ image: { repository: `${mirror}/stakater/reloader`, tag: CHARTS.reloader.appVersion } });
  expect(leafPaths(release.values).some((p) => p.startsWith('reloader/deployment/image'))).toBe(false);
});

test('External Secrets: our two replicas elect a leader (the chart leaves leader election off by default)', () => {
  const deployment = rendered('externalSecrets').find((o) => o.kind === 'Deployment' && !/webhook|cert-controller/.test(o.metadata.name))!;
  expect(deployment.spec.replicas).toBe(2);
  expect(deployment.spec.template.spec.containers[0].args).toContain('--enable-leader-election=true');
});
