import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments, parseDocument, stringify } from 'yaml';
import { CHARTS, type ChartName, type ChartSpec } from '../lib/charts';

/** A Helm release as CDK's kubectl handler receives it (the properties of a Custom::AWSCDK-EKS-HelmChart). */
export interface HelmRelease {
  readonly logicalId: string;
  readonly chart: string;
  readonly release: string;
  readonly repository: string;
  readonly version: string;
  readonly namespace: string;
  /** The Values JSON; deploy-time tokens (VPC id, queue name) become `token:<what>` placeholders. */
  readonly values: Record<string, unknown>;
}

/** `{"Fn::Join": ["", [...]]}` -> one string, each non-string part as a placeholder (resolved only by CloudFormation). */
function joined(v: unknown): string {
  if (typeof v === 'string') return v;
  const join = (v as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) return JSON.stringify(`token:${JSON.stringify(v).replace(/"/g, '')}`).slice(1, -1);
  return join[1].map((p) => (typeof p === 'string' ? p : `token-${Object.keys(p as object)[0]}`)).join(join[0]);
}

/** Every Helm release of a synthesized template (cdk.out/<stack>.template.json), as the handler would get it. */
export function helmReleases(template: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> }): HelmRelease[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'Custom::AWSCDK-EKS-HelmChart')
    .map(([logicalId, r]) => {
      const p = r.Properties!;
      return { logicalId, chart: String(p.Chart), release: String(p.Release), repository: String(p.Repository), version: String(p.Version), namespace: String(p.Namespace), values: JSON.parse(joined(p.Values ?? '{}')) as Record<string, unknown> };
    });
}

/** The pinned chart a release installs. */
export function chartNameOf(release: Pick<HelmRelease, 'chart'>): ChartName {
  const hit = (Object.entries(CHARTS) as Array<[ChartName, ChartSpec]>).find(([, c]) => c.chart === release.chart);
  if (!hit) throw new Error(`release of unknown chart ${release.chart}`);
  return hit[0];
}

/**
 * Folder of a chart inside its operator's Go module source (`go mod download -json <module>@<version>` gives the
 * module folder), or undefined when the table names none: argo-helm, kedacore/charts and eks-charts are not Go
 * modules, Reloader's module is refused by the module proxy.
 */
export function moduleChartDir(name: ChartName): string | undefined {
  const mod = (CHARTS[name] as ChartSpec).goModule;
  if (!mod?.chartDir) return undefined;
  const r = spawnSync('go', ['mod', 'download', '-json', `${mod.path}@${mod.version}`], { encoding: 'utf8', env: { ...process.env, GOFLAGS: '-mod=mod', GOWORK: 'off', GOTOOLCHAIN: 'auto' }, timeout: 600_000 });
  const info = JSON.parse(r.stdout || '{}') as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`go mod download ${mod.path}@${mod.version}: ${info.Error ?? r.stderr}`);
  return withoutAbsentSubcharts(path.join(info.Dir, mod.chartDir));
}

/** Subcharts a module's chart declares but does not vendor (the release packages them), dropped from a copy. */
export interface DroppedSubchart {
  readonly name: string;
  /** The values key that enables it; the chart renders the same without it while that is false. */
  readonly condition?: string;
}

const dropped = new Map<string, DroppedSubchart[]>();

/** The subcharts dropped from a prepared chart folder (tests assert their conditions are off). */
export function droppedSubcharts(chartDir: string): DroppedSubchart[] {
  return dropped.get(chartDir) ?? [];
}

/**
 * A writable copy of a module's chart without the dependencies it does not vendor (External Secrets lists the
 * bitwarden-sdk-server subchart, enabled by a value that is false by default and in ours). The module cache is
 * read-only, and Helm refuses to render or package a chart whose declared dependency is missing.
 */
function withoutAbsentSubcharts(dir: string): string {
  const chartYaml = parseDocument(fs.readFileSync(path.join(dir, 'Chart.yaml'), 'utf8')).toJS() as { dependencies?: Array<{ name: string; condition?: string }> };
  const vendored = fs.existsSync(path.join(dir, 'charts')) ? fs.readdirSync(path.join(dir, 'charts')) : [];
  const absent = (chartYaml.dependencies ?? []).filter((d) => !vendored.some((f) => f === d.name || f.startsWith(`${d.name}-`)));
  if (!absent.length) return dir;
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), `chart-${path.basename(dir)}-`));
  fs.cpSync(dir, copy, { recursive: true });
  fs.chmodSync(copy, 0o755);
  const keep = (chartYaml.dependencies ?? []).filter((d) => !absent.includes(d));
  const doc = { ...(parseDocument(fs.readFileSync(path.join(dir, 'Chart.yaml'), 'utf8')).toJS() as Record<string, unknown>), dependencies: keep.length ? keep : undefined };
  fs.chmodSync(path.join(copy, 'Chart.yaml'), 0o644);
  fs.writeFileSync(path.join(copy, 'Chart.yaml'), stringify(doc));
  fs.rmSync(path.join(copy, 'Chart.lock'), { force: true });
  dropped.set(copy, absent.map((d) => ({ name: d.name, condition: d.condition })));
  return copy;
}

/** The Helm CLI built from helm.sh/helm/v3 into the cache (install-helm.sh builds it once). */
export function helmBinary(): string {
  const r = spawnSync('bash', [path.join(__dirname, 'install-helm.sh')], { encoding: 'utf8', timeout: 1_800_000 });
  if (r.status !== 0) throw new Error(`install-helm.sh failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** `helm template` of a local chart folder with a release's values; returns the rendered objects. */
export function renderChart(helm: string, chartDir: string, release: HelmRelease): Array<Record<string, any>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'render-'));
  try {
    const values = path.join(dir, 'values.json');
    fs.writeFileSync(values, JSON.stringify(release.values));
    const r = spawnSync(helm, ['template', release.release, chartDir, '--namespace', release.namespace, '--values', values, '--include-crds'], { encoding: 'utf8', env: { ...process.env, HELM_CACHE_HOME: path.join(dir, 'cache'), HELM_CONFIG_HOME: path.join(dir, 'config'), HELM_DATA_HOME: path.join(dir, 'data') }, maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`helm template ${release.chart}: ${r.stderr}`);
    return parseAllDocuments(r.stdout).map((d) => d.toJS() as Record<string, any>).filter(Boolean);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Every container image the rendered objects run (containers and init containers of any pod template). */
export function imagesOf(objects: Array<Record<string, any>>): string[] {
  const out = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if ((k === 'containers' || k === 'initContainers') && Array.isArray(v)) for (const c of v) if (typeof c?.image === 'string') out.add(c.image);
        visit(v);
      }
    }
  };
  visit(objects);
  return [...out].sort();
}
