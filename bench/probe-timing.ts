import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseManifestFiles } from '../manifests-src/gitops/manifest-objects';
import { readTree } from '../manifests-src/validate/drift';
import { COMPONENTS, loadEnvironments, type ComponentName, type ComponentSpec } from '../manifests-src/config';
import { AIRFLOW_SECRET_MOUNT, type AirflowProcess } from '../manifests-src/airflow/component-secrets';
import { processSecretDir } from '../local/settings';
import { LocalStack, PROJECT_ROOT, VENV_BIN } from '../local/stack';
import { CgroupV1, cgroupV1Available, cpuCores } from './cgroup-v1';

/**
 * `npm run measure:probes [-- --repeats 5]`: runs every exec probe command dist/ ships (dev and prod) against a
 * live local stack, inside a cgroup with the container's CPU limit (CFS quota), and prints wall time and
 * CPU per run next to the probe's configured timeout. Needs root for cgroup v1 (without it: no quota, said so).
 */
const repeats = Number(process.argv[process.argv.indexOf('--repeats') + 1] || 3) || 3;

interface ExecProbe {
  env: string;
  deployment: string;
  /** The Airflow process whose environment and secret files the probe runs with, as in its pod. */
  process: AirflowProcess;
  command: string[];
  cpuLimit: string;
  timeoutSeconds: number;
  periodSeconds: number;
  startupBudgetSeconds: number;
}

function execProbesFromDist(envName: string): ExecProbe[] {
  const out: ExecProbe[] = [];
  for (const { obj } of parseManifestFiles(readTree(path.join(PROJECT_ROOT, 'dist', envName)))) {
    if (obj.kind !== 'Deployment') continue;
    const c = (obj.spec as any).template.spec.containers[0];
    const live = c.livenessProbe;
    if (!live?.exec) continue;
    const startup = c.startupProbe;
    const spec = Object.values(COMPONENTS as Record<ComponentName, ComponentSpec>).find((s) => s.workload === obj.metadata!.name);
    const process = spec?.airflow?.process as AirflowProcess | undefined;
    if (!process) throw new Error(`${obj.metadata!.name}: an exec probe on a component that is not an Airflow process`);
    out.push({
      env: envName,
      deployment: obj.metadata!.name!,
      process,
      command: live.exec.command,
      cpuLimit: c.resources.limits.cpu,
      timeoutSeconds: live.timeoutSeconds ?? 1,
      periodSeconds: live.periodSeconds ?? 10,
      startupBudgetSeconds: (startup?.periodSeconds ?? 10) * (startup?.failureThreshold ?? 3),
    });
  }
  return out;
}

/**
 * The probe command as it runs here: binaries from the venv, the process's secret files where the local stack keeps
 * them, the worker's Celery node name of the local stack.
 */
function localCommand(command: string[], secretDir: string): [string, string[]] {
  const [bin, ...args] = command;
  const local = fs.existsSync(path.join(VENV_BIN, bin)) ? path.join(VENV_BIN, bin) : bin;
  return [local, args.map((a) => a.replaceAll(AIRFLOW_SECRET_MOUNT, secretDir).replace('celery@$(hostname)', `worker-1@${os.hostname()}`))];
}

const stat = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
};

async function main(): Promise<void> {
  const quota = cgroupV1Available();
  const env = loadEnvironments().find((e) => e.name === 'dev')!;
  const stack = new LocalStack({ env, stateDir: path.join(PROJECT_ROOT, '.state', 'bench', 'probes'), workers: 1, onEvent: (l) => console.error(l) });
  fs.rmSync(stack.paths.state, { recursive: true, force: true });
  const rows: string[] = [];
  try {
    await stack.start();
    for (const p of ['dev', 'prod'].flatMap(execProbesFromDist)) {
      const group = new CgroupV1(p.deployment, quota ? cpuCores(p.cpuLimit) : undefined);
      const walls: number[] = [];
      const cpus: number[] = [];
      let failures = 0;
      try {
        for (let i = 0; i < repeats; i++) {
          const cpu0 = group.cpuSeconds();
          const [cmd, args] = localCommand(p.command, processSecretDir(stack.paths, p.process));
          const r = await group.run(cmd, args, stack.airflowEnv(p.process), stack.paths.state, 300_000);
          walls.push(r.seconds);
          cpus.push(group.cpuSeconds() - cpu0);
          if (r.code !== 0) failures++;
        }
      } finally {
        group.remove();
      }
      const w = stat(walls);
      const c = stat(cpus);
      rows.push(`| ${p.env} | ${p.deployment} | ${p.cpuLimit} | ${repeats} | ${w.min.toFixed(1)} / ${w.median.toFixed(1)} / ${w.max.toFixed(1)} | ${c.median.toFixed(1)} | ${failures} | ${p.timeoutSeconds} s / ${p.periodSeconds} s / ${p.startupBudgetSeconds} s |`);
      console.error(rows[rows.length - 1]);
    }
  } finally {
    await stack.stop();
  }
  console.log(`Exec probe commands under the container CPU limit (${quota ? 'cgroup v1 CFS quota' : 'NO quota: cgroup v1 not writable, figures are unlimited'}), machine load ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs`);
  console.log('| env | deployment | CPU limit | runs | wall s min / median / max | CPU s per run (median) | failed runs | liveness timeout / period / startup budget |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
