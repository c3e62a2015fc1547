import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { environment, find, podSpecOf, render } from '../support/render';

const env = environment('prod', { logging: { localRetentionMinutes: 60 }, workers: { scratchSize: '6Gi' } });
const objs = render([env]);
const bash = (script: string) => spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 30_000 });

/** The bash script of the groomer's command (after `bash -c`). */
function groomerScript(command: string[]): string {
  return command[command.indexOf('-c') + 1];
}

describe('local disk of Airflow pods', () => {
  test('every emptyDir has a size limit; logs, Airflow temp files, bundles and task scratch are separate volumes', () => {
    for (const name of ['airflow-api-server', 'airflow-scheduler', 'airflow-dag-processor', 'airflow-triggerer', 'airflow-worker']) {
      const spec = podSpecOf(find(objs, 'Deployment', name))!;
      const dirs = spec.volumes.filter((v: any) => v.emptyDir);
      expect([name, dirs.filter((v: any) => !v.emptyDir.sizeLimit).map((v: any) => v.name)]).toEqual([name, []]);
      const mounts = Object.fromEntries(spec.containers[0].volumeMounts.map((m: any) => [m.mountPath, m.name]));
      expect(mounts).toMatchObject({ '/opt/airflow': 'airflow-home', '/opt/airflow/logs': 'logs', '/tmp': 'tmp' });
    }
    const worker = podSpecOf(find(objs, 'Deployment', 'airflow-worker'))!;
    expect(worker.volumes).toContainEqual({ name: 'scratch', emptyDir: { sizeLimit: '6Gi' } });
    expect(worker.containers[0].env).toContainEqual({ name: 'TMPDIR', value: '/scratch' });
  });

  // docs/local-disk.md: 2 clones + the versions in use (a slot each on workers, 2 parsing processes on the
  // dag-processor) + 2 kept, times dags.repositorySize, plus 25 %; the groomer's target is the same without the 25 %.
  test('the dag-bundles emptyDir and the groomer\'s bundle target follow dags.repositorySize and the versions a pod can hold', () => {
    const sized = render([environment('prod', { dags: { repositorySize: '256Mi' }, workers: { concurrency: 12, resources: { cpu: '2400m', memory: '6Gi' } } })]);
    for (const [name, copies] of [['airflow-worker', 2 + 12 + 2], ['airflow-dag-processor', 2 + 2 + 2]] as const) {
      const spec = podSpecOf(find(sized, 'Deployment', name))!;
      expect([name, spec.volumes.find((v: any) => v.name === 'dag-bundles').emptyDir.sizeLimit]).toEqual([name, `${Math.ceil(256 * copies * 1.25)}Mi`]);
      const groomer = spec.initContainers.find((c: any) => c.name === 'log-groomer');
      expect([name, /trim_bundles \S+ (\d+)/.exec(groomer.command[2])?.[1]]).toEqual([name, String(256 * copies * 1024)]);
      expect(groomer.volumeMounts).toContainEqual({ name: 'dag-bundles', mountPath: '/opt/airflow/dag-bundles' });
    }
    // Components that never clone get no bundle step.
    expect(podSpecOf(find(sized, 'Deployment', 'airflow-scheduler'))!.initContainers[0].command[2]).not.toMatch(/\n\s*trim_bundles /);
  });

  test('task logs are deleted locally once uploaded', () => {
    expect(find(objs, 'ConfigMap', 'airflow-config').data!.AIRFLOW__LOGGING__DELETE_LOCAL_LOGS).toBe('True');
  });

  test('the log groomer (real bash and find) deletes files older than the retention, keeps newer ones and touches its heartbeat; it has no exec probe', () => {
    const groomer = podSpecOf(find(objs, 'Deployment', 'airflow-dag-processor'))!.initContainers.find((c: any) => c.name === 'log-groomer');
    expect(groomer.restartPolicy).toBe('Always');
    // runc exec under the sidecar's 100m CPU limit did not finish within a probe's timeout on the local cluster.
    expect([groomer.startupProbe, groomer.livenessProbe, groomer.readinessProbe]).toEqual([undefined, undefined, undefined]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logs-'));
    const old = path.join(dir, 'dag_processor', '2026-01-01', 'old.py.log');
    const fresh = path.join(dir, 'dag_processor', 'today', 'new.py.log');
    for (const f of [old, fresh]) {
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, 'x');
    }
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    fs.utimesSync(old, twoHoursAgo, twoHoursAgo);
    const heartbeat = path.join(dir, '.groomer-heartbeat');
    // One pass of the loop: the container's own script, pointed at the temp folder, stopping at its sleep.
    const once = groomerScript(groomer.command).split('/opt/airflow/logs').join(dir).replace(/sleep \d+ & wait \$!/, 'break');
    expect(bash(once).status).toBe(0);
    expect(fs.existsSync(old)).toBe(false);
    expect(fs.existsSync(path.dirname(old))).toBe(false);
    expect(fs.existsSync(fresh)).toBe(true);
    expect(Date.now() - fs.statSync(heartbeat).mtimeMs).toBeLessThan(60_000);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // As a child here, an untrapped SIGTERM kills bash: exit code 0 proves the handler.
  test('the log groomer exits 0 on SIGTERM within seconds, in the middle of its sleep', async () => {
    const groomer = podSpecOf(find(objs, 'Deployment', 'airflow-worker'))!.initContainers.find((c: any) => c.name === 'log-groomer');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groomer-term-'));
    const child = spawn('bash', ['-c', groomerScript(groomer.command).split('/opt/airflow/logs').join(dir)], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!fs.existsSync(path.join(dir, '.groomer-heartbeat')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const exited = new Promise<{ code: number | null; signal: string | null; ms: number }>((resolve) => {
      const t0 = Date.now();
      child.on('exit', (code, signal) => resolve({ code, signal, ms: Date.now() - t0 }));
    });
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    const r = await exited;
    clearTimeout(timer);
    fs.rmSync(dir, { recursive: true, force: true });
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 0, signal: null });
    expect(r.ms).toBeLessThan(3000);
  });

  // The kubelet sends SIGTERM once, and the kernel drops it for a PID 1 that has not taken the signal yet. A pod
  // deleted just after it started (an eviction 1 s in, seen on the local cluster) must still stop: the pod shares
  // its process namespace (pause is PID 1), and the command from dist/, as such a child, gets SIGTERM the moment it
  // runs, before bash has set its trap.
  test('the log groomer is not PID 1 and stops on a SIGTERM sent the moment it starts', async () => {
    for (const d of objs.filter((o: any) => o.kind === 'Deployment' && podSpecOf(o)?.initContainers?.some((c: any) => c.name === 'log-groomer')) as any[]) {
      expect({ deployment: d.metadata.name, shareProcessNamespace: podSpecOf(d)!.shareProcessNamespace }).toEqual({ deployment: d.metadata.name, shareProcessNamespace: true });
    }
    const groomer = podSpecOf(find(objs, 'Deployment', 'airflow-worker'))!.initContainers.find((c: any) => c.name === 'log-groomer');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groomer-start-'));
    const command = (groomer.command as string[]).map((a) => a.split('/opt/airflow/logs').join(dir));
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const child = spawn(command[0], command.slice(1), { stdio: 'ignore' });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // The moment it runs the program (it has exec'd: its name is the program's).
      while (child.exitCode === null) {
        try {
          if (fs.readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim() === path.basename(command[0])) break;
        } catch {
          /* not exec'd yet */
        }
      }
      const t0 = Date.now();
      child.kill('SIGTERM');
      const timeout = new Promise<'hung'>((r) => setTimeout(() => r('hung'), 5000));
      const r = await Promise.race([exited.then(() => 'exited' as const), timeout]);
      if (r === 'hung') child.kill('SIGKILL');
      expect(r).toBe('exited');
      times.push(Date.now() - t0);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    console.log(`log groomer, SIGTERM the moment it starts: exited after ${times.join(', ')} ms`);
  });
});
