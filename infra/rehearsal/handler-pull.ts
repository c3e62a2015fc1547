import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHARTS, type ChartSpec } from '../lib/charts';
import { pushChart, run } from '../deploy/mirror';
import { startLocalRegistry } from './local-registry';
import { chartNameOf, helmBinary, helmReleases, imagesOf, moduleChartDir, renderChart, type HelmRelease } from './releases';

/** aws-cdk-lib's own kubectl handler (the Lambda code that installs every Helm release of the stack). */
export const HANDLER_DIR = path.join(path.dirname(require.resolve('aws-cdk-lib/package.json')), 'custom-resource-handlers', 'dist', 'aws-eks-v2', 'kubectl-handler');

export interface PullResult {
  readonly chart: string;
  /** The repository as synthesized, and as pulled (mirror host swapped for the loopback registry). */
  readonly repository: string;
  readonly pulledFrom: string;
  /** Whether the project's mirror step could fill the registry with this chart here (Go module source). */
  readonly mirrored: boolean;
  readonly ok: boolean;
  readonly detail: string;
  /** Images of the pulled chart rendered with the release's values (when pulled). */
  readonly images: string[];
}

/** Runs the handler's `get_chart_from_oci` (its `helm pull <repository> --version <v> --untar`) in Python. */
export function handlerPull(repository: string, version: string, env: NodeJS.ProcessEnv, workDir: string): { ok: boolean; dir?: string; error?: string } {
  const script = [
    'import json, os, sys, tempfile',
    `sys.path.insert(0, ${JSON.stringify(HANDLER_DIR)})`,
    'import helm as handler',
    `d = tempfile.mkdtemp(dir=${JSON.stringify(workDir)})`,
    'try:',
    '    out = handler.get_chart_from_oci(d, sys.argv[1], sys.argv[2])',
    '    print(json.dumps({"ok": os.path.isfile(os.path.join(out, "Chart.yaml")), "dir": out}))',
    'except Exception as e:',
    '    print(json.dumps({"ok": False, "error": str(e)[-400:]}))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script, repository, version], { encoding: 'utf8', env, timeout: 300_000 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as { ok: boolean; dir?: string; error?: string };
  } catch {
    return { ok: false, error: r.stderr.slice(-400) };
  }
}

/**
 * Item 11 of the deploy-readiness issue, the part that needs no cluster: a loopback OCI registry (TLS, like ECR)
 * stands in for the environment's mirror, the project's mirror step (`pushChart`) fills it with every chart
 * obtainable here (from the operators' Go modules, packaged at the pinned version), and aws-cdk-lib's handler pulls
 * each synthesized release exactly as the Lambda would. Pulled charts are rendered with the release's values to
 * list the images the pods would run. The install step (`helm upgrade --install` against a cluster) is the
 * handler's `helm()` function: the local-cluster suite can call it with a kubeconfig once a cluster runs.
 */
export async function rehearseHelmPull(template: Parameters<typeof helmReleases>[0], mirrorHost: string, workDir: string): Promise<{ results: PullResult[]; wrongForm: { ok: boolean; error?: string } }> {
  fs.mkdirSync(workDir, { recursive: true });
  const registry = await startLocalRegistry(path.join(workDir, 'registry'));
  try {
    const helm = helmBinary();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${path.dirname(helm)}:${process.env.PATH}`,
      SSL_CERT_FILE: registry.caFile,
      HELM_CACHE_HOME: path.join(workDir, 'helm-cache'),
      HELM_CONFIG_HOME: path.join(workDir, 'helm-config'),
      HELM_DATA_HOME: path.join(workDir, 'helm-data'),
    };
    const releases: HelmRelease[] = helmReleases(template);
    const mirrored = new Set<string>();
    for (const release of releases) {
      const name = chartNameOf(release);
      const dir = moduleChartDir(name);
      if (!dir) continue;
      const spec: ChartSpec = CHARTS[name];
      // The published chart is the module's chart folder at the release's version (the release process bumps it).
      run(helm, ['package', dir, '--version', spec.version, '--app-version', spec.appVersion, '--destination', workDir], { env });
      pushChart(helm, path.join(workDir, `${spec.chart}-${spec.version}.tgz`), registry.host, env);
      mirrored.add(release.chart);
    }
    const results = releases.map((release): PullResult => {
      const pulledFrom = release.repository.replace(mirrorHost, registry.host);
      const r = handlerPull(pulledFrom, release.version, env, workDir);
      const images = r.ok && r.dir ? imagesOf(renderChart(helm, r.dir, release)) : [];
      return { chart: release.chart, repository: release.repository, pulledFrom, mirrored: mirrored.has(release.chart), ok: r.ok, detail: r.ok ? `pulled into ${path.basename(r.dir!)}/` : (r.error ?? 'failed').split('\n')[0], images };
    });
    const first = releases.find((r) => mirrored.has(r.chart))!;
    // The form the stack used to synthesize: the registry plus `/charts`, without the chart name.
    const wrongForm = handlerPull(`oci://${registry.host}/charts`, first.version, env, workDir);
    return { results, wrongForm };
  } finally {
    await registry.stop();
  }
}
