import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChartCopy, ImageCopy } from './mirror-plan';

/** Runs a command, echoing it; throws with its output when it fails. */
export function run(cmd: string, args: string[], options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  console.log(`+ ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: options.input, cwd: options.cwd, env: options.env ?? process.env, timeout: 600_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${(r.error?.message ?? '') + (r.stderr ?? '') + (r.stdout ?? '')}`.trim());
  return r.stdout;
}

/** Pulls a chart from upstream into `dir` as `<chart>-<version>.tgz` (HTTPS index or oci:// ending in the chart name). */
export function pullChart(helm: string, copy: ChartCopy, dir: string): string {
  const ref = copy.upstream.startsWith('oci://') ? [copy.upstream] : [copy.chart, '--repo', copy.upstream];
  run(helm, ['pull', ...ref, '--version', copy.version, '--destination', dir]);
  return path.join(dir, `${copy.chart}-${copy.version}.tgz`);
}

/** Pushes a packaged chart to `oci://<registry>/charts`: Helm stores it as `<registry>/charts/<chart>:<version>`. */
export function pushChart(helm: string, tgz: string, registry: string, env: NodeJS.ProcessEnv = process.env): void {
  run(helm, ['push', tgz, `oci://${registry}/charts`], { env });
}

/** Copies what is missing into the mirror: charts with helm, images registry to registry with docker buildx. */
export function mirrorMissing(opts: { registry: string; region: string; charts: ChartCopy[]; images: ImageCopy[]; helm?: string }): void {
  const helm = opts.helm ?? 'helm';
  const password = run('aws', ['ecr', 'get-login-password', '--region', opts.region]);
  if (opts.charts.length) run(helm, ['registry', 'login', '--username', 'AWS', '--password-stdin', opts.registry], { input: password });
  if (opts.images.length) run('docker', ['login', '--username', 'AWS', '--password-stdin', opts.registry], { input: password });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airflow-eks-charts-'));
  try {
    for (const c of opts.charts) pushChart(helm, pullChart(helm, c, dir), opts.registry);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // All architectures at once, registry to registry (nothing lands in a local daemon).
  for (const i of opts.images) run('docker', ['buildx', 'imagetools', 'create', '--tag', `${opts.registry}/${i.repository}:${i.tag}`, i.source]);
}
