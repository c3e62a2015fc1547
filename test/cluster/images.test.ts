/**
 * The images the local cluster runs, built here (cluster/images) and run with podman (runc, cgroupfs)
 * the way dist/dev runs them: user, read-only root, emptyDirs as tmpfs, the ConfigMap and Secret files.
 * The first run builds every image (cold: about 15 min on 2 cores); later runs reuse the cache.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { archivePath, buildImages, ensureInPodman, REPO_ROOT } from '../../cluster/images/build';
import { dockerfileBaseImage, planImages, type ImagePlan } from '../../cluster/images/catalog';
import { distImageReferences } from '../../cluster/images/references';
import { renderSecretTemplate } from '../../manifests-src/platform/external-secret-objects';
import { loadEnvironments } from '../../manifests-src/config';

const BUILD_TIMEOUT_MS = 45 * 60_000;
const DIST = join(REPO_ROOT, 'dist/dev');
const dev = loadEnvironments().find((e) => e.name === 'dev')!;

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const docs = (file: string): Obj[] =>
  parseAllDocuments(readFileSync(join(DIST, file), 'utf8')).map((d) => d.toJS()).filter(Boolean);
const find = (file: string, kind: string, name: string): Obj => {
  const o = docs(file).find((d) => d.kind === kind && d.metadata?.name === name);
  if (!o) throw new Error(`dist/dev/${file}: no ${kind} ${name}`);
  return o;
};

function podman(args: string[], timeoutMs = 120_000): SpawnSyncReturns<string> {
  return spawnSync('bash', ['cluster/images/podman.sh', ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: timeoutMs });
}
function podmanOk(args: string[], timeoutMs?: number): string {
  const r = podman(args, timeoutMs);
  if (r.status !== 0) throw new Error(`podman ${args.join(' ')} -> ${r.status}\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}
async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * podman run flags for one container of a dist/ Deployment: its user, read-only root, emptyDirs as tmpfs; no
 * network unless `inPod` (a podman pod's containers share the pod's network).
 */
function runFlags(deployment: Obj, container: string, inPod = false): string[] {
  const pod = deployment.spec.template.spec;
  const c = pod.containers.find((x: Obj) => x.name === container);
  const emptyDirs = new Map<string, Obj>((pod.volumes ?? []).filter((v: Obj) => v.emptyDir).map((v: Obj) => [v.name, v.emptyDir]));
  const user = c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
  const group = c.securityContext?.runAsGroup ?? pod.securityContext?.runAsGroup;
  const flags = inPod ? [] : ['--network', 'none'];
  if (user !== undefined) flags.push('--user', group !== undefined ? `${user}:${group}` : String(user));
  if (c.securityContext?.readOnlyRootFilesystem) flags.push('--read-only', '--read-only-tmpfs=false');
  for (const m of c.volumeMounts ?? []) {
    const e = emptyDirs.get(m.name);
    if (e) flags.push('--tmpfs', `${m.mountPath}:rw,mode=1777${e.sizeLimit ? `,size=${e.sizeLimit.replace(/i$/, '')}` : ''}`);
  }
  return flags;
}

/** `-e NAME=VALUE` flags for each setting. */
const envFlags = (settings: string[]) => settings.flatMap((x) => ['-e', x]);

/** The literal env of one container of a dist/ Deployment, as `NAME=VALUE` (values from Secrets or fields left out). */
function literalEnv(deployment: Obj, container: string): string[] {
  const c = deployment.spec.template.spec.containers.find((x: Obj) => x.name === container);
  return (c.env as Obj[]).filter((e) => typeof e.value === 'string').map((e) => `${e.name}=${e.value}`);
}

let plan: ImagePlan;
const refOf = (name: string) => plan.recipes.find((r) => r.name === name)!.outputs;

beforeAll(() => {
  const started = Date.now();
  plan = planImages(REPO_ROOT);
  const timings = buildImages(plan, () => undefined);
  console.log(
    ['image build times (cached = reused from the cache):', ...timings.map((t) => `  ${t.recipe}: ${t.cached ? 'cached' : `${t.seconds.toFixed(1)} s`}`),
      `  total: ${((Date.now() - started) / 1000).toFixed(1)} s`].join('\n'),
  );
}, BUILD_TIMEOUT_MS);

describe('every image dist/dev references', () => {
  test('is built here under its exact reference, or is declared unbuildable with the reason', () => {
    const missing: string[] = [];
    for (const ref of distImageReferences(DIST)) {
      const made = plan.provides.get(ref);
      if (made) {
        if (!existsSync(archivePath(made.output))) missing.push(`${ref}: archive ${made.output.file} was not built`);
        continue;
      }
      if (!plan.unavailable.some((u) => u.ref === ref)) missing.push(`${ref}: no recipe`);
    }
    expect(missing).toEqual([]);
    for (const u of plan.unavailable) console.log(`cannot be built here: ${u.ref}: ${u.reason}`);
  });

  test('each archive carries the dist/ reference as its tag (what ctr images import names it)', () => {
    for (const [ref, { output }] of plan.provides) {
      const manifest = spawnSync('tar', ['-xOf', archivePath(output), 'manifest.json'], { encoding: 'utf8' });
      expect(JSON.parse(manifest.stdout)[0].RepoTags).toContain(ref);
    }
  });

  test('a second build finds everything in the cache and does nothing', () => {
    const started = Date.now();
    const timings = buildImages(planImages(REPO_ROOT), () => undefined);
    expect(timings.filter((t) => !t.cached)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('Airflow base image (official layout)', () => {
  const scheduler = find('airflow/scheduler.yaml', 'Deployment', 'airflow-scheduler');
  const base = () => dockerfileBaseImage(REPO_ROOT);
  const run = (args: string[], env: string[] = []) => {
    ensureInPodman(refOf('airflow-base')[0]);
    const e = envFlags(['CONNECTION_CHECK_MAX_COUNT=0', ...env]);
    return podman(['run', '--rm', ...runFlags(scheduler, 'scheduler'), ...e, base(), ...args], 300_000);
  };

  test('runs as uid 50000 gid 0 with a read-only root; AIRFLOW_HOME, dags_folder and `airflow version` as dist/ expects', () => {
    const r = run(['bash', '-c', 'id -u; id -g; whoami; echo "$AIRFLOW_HOME"; airflow config get-value core dags_folder; touch /x 2>&1 || true; airflow version']);
    expect(r.stderr).not.toMatch(/Traceback/);
    const lines = r.stdout.trim().split('\n');
    expect(lines.slice(0, 5)).toEqual(['50000', '0', 'airflow', '/opt/airflow', '/opt/airflow/dags']);
    expect(lines[5]).toMatch(/Read-only file system/);
    expect(lines[lines.length - 1]).toBe(dev.airflow.version);
    expect(r.status).toBe(0);
  });

  test('`airflow <cmd>` and `<cmd>` both reach the airflow CLI; python passes through; the git provider and git binary work', () => {
    expect(run(['airflow', 'version']).stdout.trim()).toBe(dev.airflow.version);
    expect(run(['version']).stdout.trim()).toBe(dev.airflow.version);
    const py = run(['python', '-c', 'import sys, airflow.providers.git.hooks.git as g, subprocess; print(sys.version_info[:2] == (3, 11), g.__name__); print(subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip())']);
    expect(py.stderr).not.toMatch(/Traceback/);
    expect(py.stdout).toMatch(/^True airflow\.providers\.git\.hooks\.git\ngit version \d/);
  });

  test('the entrypoint waits for the metadata database and fails clearly when it never answers', () => {
    const r = run(['version'], [
      'CONNECTION_CHECK_MAX_COUNT=2', 'CONNECTION_CHECK_SLEEP_TIME=1',
      'AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=postgresql+psycopg2://u:p@127.0.0.1:1/none',
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/airflow db check failed 2 times/);
  });

  test("a worker with dist/'s env starts Celery's command with no start-up check, even with database and broker unreachable", () => {
    ensureInPodman(refOf('airflow-base')[0]);
    const worker = find('airflow/worker.yaml', 'Deployment', 'airflow-worker');
    const unreachable = ['AIRFLOW__CORE__EXECUTOR=CeleryExecutor', 'AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=postgresql+psycopg2://u:p@127.0.0.1:1/none',
      'AIRFLOW__CELERY__BROKER_URL=redis://127.0.0.1:1/0', 'CONNECTION_CHECK_SLEEP_TIME=30'];
    // With a check, the first failure alone would sleep 30 s and the run would end in "failed ... times".
    const r = podman(['run', '--rm', ...runFlags(worker, 'worker'), ...envFlags([...unreachable, ...literalEnv(worker, 'worker')]), base(), 'celery', '--help'], 120_000);
    expect(r.stderr).not.toMatch(/failed \d+ times/);
    expect(r.stdout).toMatch(/Usage: airflow celery/);
    expect(r.status).toBe(0);
  });

  test('dumb-init is PID 1 and, with DUMB_INIT_SETSID=0 as dist/ sets it, forwards SIGTERM to the main process', async () => {
    const worker = find('airflow/worker.yaml', 'Deployment', 'airflow-worker');
    const setsid = worker.spec.template.spec.containers[0].env.find((e: Obj) => e.name === 'DUMB_INIT_SETSID').value;
    expect(setsid).toBe('0');
    ensureInPodman(refOf('airflow-base')[0]);
    const name = `images-test-sigterm-${process.pid}`;
    const script = [
      'import os, signal, sys, time',
      'def stop(signum, frame):',
      '    print("main process got", signal.Signals(signum).name, flush=True); sys.exit(0)',
      'signal.signal(signal.SIGTERM, stop)',
      'print("pid1", open("/proc/1/cmdline").read().split("\\0")[0], "sid", os.getsid(0), "ready", flush=True)',
      'time.sleep(600)',
    ].join('\n');
    podmanOk(['run', '-d', '--name', name, ...runFlags(worker, 'worker'), '-e', 'CONNECTION_CHECK_MAX_COUNT=0',
      '-e', `DUMB_INIT_SETSID=${setsid}`, base(), 'python', '-c', script]);
    try {
      const logs = await until('the main process to start', () => {
        const out = podman(['logs', name]).stdout;
        return out.includes('ready') ? out : undefined;
      });
      // Without setsid the main process stays in PID 1's session: dumb-init signals it, not a group.
      expect(logs).toMatch(/^pid1 \/usr\/bin\/dumb-init sid 1 ready$/m);
      podmanOk(['kill', '--signal', 'TERM', name]);
      const code = podmanOk(['wait', name], 60_000).trim();
      expect(podman(['logs', name]).stdout).toMatch(/^main process got SIGTERM$/m);
      expect(code).toBe('0');
    } finally {
      podman(['rm', '-f', '--ignore', name]);
    }
  }, 120_000);
});

describe('project image (docker/airflow/Dockerfile on the local base)', () => {
  test('builds FROM the base build argument and runs `airflow version` under dist/ mounts', () => {
    const out = refOf('airflow')[0];
    ensureInPodman(out);
    const scheduler = find('airflow/scheduler.yaml', 'Deployment', 'airflow-scheduler');
    const r = podman(['run', '--rm', ...runFlags(scheduler, 'scheduler'), '-e', 'CONNECTION_CHECK_MAX_COUNT=0', out.ref, 'airflow', 'version'], 300_000);
    expect(r.stdout.trim()).toBe(dev.airflow.version);
    const labels = JSON.parse(podmanOk(['image', 'inspect', out.ref]))[0].Labels;
    expect(labels['org.opencontainers.image.title']).toBe('airflow-eks');
  });

  test("a worker as dist/ runs it (its env; a pod sharing one PID namespace, pause as PID 1) stops on one SIGTERM at any moment of its start", async () => {
    const out = refOf('airflow')[0];
    const pause = refOf('pause')[0];
    ensureInPodman(out);
    ensureInPodman(pause);
    const worker = find('airflow/worker.yaml', 'Deployment', 'airflow-worker');
    expect(worker.spec.template.spec.shareProcessNamespace).toBe(true);
    const args = worker.spec.template.spec.containers.find((c: Obj) => c.name === 'worker').args;
    // No broker answers: Celery installs its signal handlers and keeps retrying the connection, as at a real start.
    const env = envFlags(['AIRFLOW__CORE__EXECUTOR=CeleryExecutor', 'AIRFLOW__CELERY__BROKER_URL=redis://127.0.0.1:1/0', ...literalEnv(worker, 'worker')]);
    const outcomes: string[] = [];
    // The kubelet sends its SIGTERM once: during the entrypoint, Airflow's imports, the Celery start or after it.
    for (const delaySeconds of [1, 3, 5, 8]) {
      const pod = `images-test-worker-stop-${process.pid}-${delaySeconds}`;
      try {
        podmanOk(['pod', 'create', '--name', pod, '--infra-image', pause.ref, '--share', 'pid,ipc,uts', '--network', 'none']);
        podmanOk(['run', '-d', '--pod', pod, '--name', `${pod}-worker`, ...runFlags(worker, 'worker', true), ...env, out.ref, ...args]);
        await new Promise((r) => setTimeout(r, delaySeconds * 1000)); // the moment under test, not a wait for a result
        const pid1 = podmanOk(['exec', `${pod}-worker`, 'cat', '/proc/1/cmdline']).split('\0')[0];
        podmanOk(['kill', '--signal', 'TERM', `${pod}-worker`]);
        const sent = Date.now();
        const code = podman(['wait', `${pod}-worker`], 60_000).stdout.trim();
        outcomes.push(`${delaySeconds} s: PID 1 ${pid1}, exit ${code || 'none (still running after 60 s)'} after ${((Date.now() - sent) / 1000).toFixed(1)} s`);
      } finally {
        podman(['pod', 'rm', '-f', '--ignore', pod]);
      }
    }
    console.log(`worker stopped by one SIGTERM at each moment of its start:\n  ${outcomes.join('\n  ')}`);
    // 143: killed before Airflow or Celery handled the signal (nothing started yet); 0: Celery's warm shutdown.
    for (const o of outcomes) expect(o).toMatch(/PID 1 \S*pause, exit (0|143) after \d+\.\d s$/);
  }, 600_000);
});

describe('PgBouncer and its exporter, configured like dist/dev', () => {
  test('PgBouncer starts with the ConfigMap ini and the rendered Secret files; the exporter serves /metrics from it', async () => {
    const deployment = find('pgbouncer/pgbouncer.yaml', 'Deployment', 'pgbouncer');
    const config: Record<string, string> = find('pgbouncer/pgbouncer.yaml', 'ConfigMap', 'pgbouncer').data;
    const template = find('secrets/external-secrets.yaml', 'ExternalSecret', 'airflow-metadata').spec.target.template.data;
    const values = { username: 'airflow', password: 'p@ss:word', clientPassword: 'client:p@ss', host: '127.0.0.1', port: '5432', dbname: 'airflow' };
    const dir = mkdtempSync(join(tmpdir(), 'images-pgbouncer-'));
    const name = `images-test-pgbouncer-${process.pid}`;
    try {
      // The ConfigMap (pgbouncer.ini and the HBA rules) as the pod mounts it.
      mkdirSync(join(dir, 'config'));
      for (const [key, text] of Object.entries(config)) writeFileSync(join(dir, 'config', key), text);
      for (const key of ['databases.ini', 'userlist.txt']) writeFileSync(join(dir, key), renderSecretTemplate(template[key], values));
      for (const o of [...refOf('pgbouncer'), ...refOf('pgbouncer-exporter')]) ensureInPodman(o);
      const pgb = deployment.spec.template.spec.containers.find((c: Obj) => c.name === 'pgbouncer');
      const exporter = deployment.spec.template.spec.containers.find((c: Obj) => c.name === 'metrics-exporter');
      podmanOk(['run', '-d', '--name', name, ...runFlags(deployment, 'pgbouncer'),
        '-v', `${dir}/config:/etc/pgbouncer:ro`,
        '-v', `${dir}/databases.ini:/etc/pgbouncer-secret/databases.ini:ro`,
        '-v', `${dir}/userlist.txt:/etc/pgbouncer-secret/userlist.txt:ro`,
        '--entrypoint', pgb.command[0], pgb.image, ...pgb.command.slice(1)]);
      await until('PgBouncer to listen', () => (podman(['logs', name]).stderr.match(/listening on 0\.0\.0\.0:6432/) ? true : undefined));
      // The exporter shares PgBouncer's network namespace, as the two containers of the pod do; dist/ gives it
      // no environment and no secret: its args carry the password-less loopback stats login.
      expect(exporter.env).toBeUndefined();
      const exp = `${name}-exporter`;
      podmanOk(['run', '-d', '--name', exp, ...runFlags(deployment, 'metrics-exporter').filter((f) => f !== 'none' && f !== '--network'),
        '--network', `container:${name}`, exporter.image, ...exporter.args]);
      let lastLogs = '';
      // The exporter image is one static binary: /metrics is read from the pod's network namespace, from the host.
      const fetch = "fetch('http://127.0.0.1:9127/metrics').then(r=>r.text()).then(t=>console.log(t)).catch(e=>{console.error(String(e));process.exit(1)})";
      const metrics = await until('the exporter to answer /metrics with the configured database', () => {
        if (podmanOk(['inspect', exp, '--format', '{{.State.Running}}']).trim() !== 'true') {
          const logs = podman(['logs', exp]);
          throw new Error(`the exporter exited:\n${logs.stdout}${logs.stderr}`);
        }
        const pid = podmanOk(['inspect', name, '--format', '{{.State.Pid}}']).trim();
        const r = spawnSync('nsenter', ['-t', pid, '-n', process.execPath, '-e', fetch], { encoding: 'utf8' });
        lastLogs = `${podman(['logs', exp]).stderr.slice(-2000)}${r.stderr}${r.stdout.split('\n').filter((l) => l.startsWith('pgbouncer')).join('\n').slice(0, 1500)}`;
        // Its first answer may come before its first query of PgBouncer: wait for the configured database.
        return r.status === 0 && /^pgbouncer_\w+\{[^}]*="airflow"[^}]*\} /m.test(r.stdout) ? r.stdout : undefined;
      }).catch((e: Error) => {
        throw new Error(`${e.message}; the exporter's log:\n${lastLogs}`);
      });
      // SHOW STATS read in full (an exporter older than the PgBouncer fails on its new columns and exports nothing).
      expect(metrics).toMatch(/^pgbouncer_exporter_stats_total_query_count\{/m);
      // Clients waiting for a server connection, per pool: what a saturated pool shows first.
      expect(metrics).toMatch(/^pgbouncer_exporter_pools_waiting_clients\{/m);
      expect(lastLogs).not.toMatch(/could not get/);
      podman(['rm', '-f', '--ignore', exp]);
    } finally {
      podman(['rm', '-f', '--ignore', `${name}-exporter`]);
      podman(['rm', '-f', '--ignore', name]);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('StatsD exporter', () => {
  test('runs with dist/ args as its user, takes a StatsD line on UDP and serves it on /metrics', async () => {
    const deployment = find('airflow/statsd.yaml', 'Deployment', 'airflow-statsd');
    const c = deployment.spec.template.spec.containers[0];
    const [out] = refOf('statsd-exporter');
    ensureInPodman(out);
    const name = `images-test-statsd-${process.pid}`;
    podmanOk(['run', '-d', '--name', name, ...runFlags(deployment, c.name), c.image, ...c.args]);
    try {
      // A sidecar in the same network namespace sends the datagram and reads /metrics.
      ensureInPodman(refOf('airflow-base')[0]);
      const probe = [
        'import socket, time, urllib.request',
        's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
        'for _ in range(100):',
        '    s.sendto(b"airflow.images_test:1|c", ("127.0.0.1", 9125))',
        '    try:',
        '        body = urllib.request.urlopen("http://127.0.0.1:9102/metrics", timeout=2).read().decode()',
        '        if "airflow_images_test" in body: print(body); break',
        '    except OSError: pass',
        '    time.sleep(0.2)',
      ].join('\n');
      const r = podman(['run', '--rm', '--network', `container:${name}`, '-e', 'CONNECTION_CHECK_MAX_COUNT=0', dockerfileBaseImage(REPO_ROOT), 'python', '-c', probe], 120_000);
      expect(r.stdout).toMatch(/^airflow_images_test \d/m);
      // The exporter process itself runs as dist/'s runAsUser (rootful podman: host uid = container uid).
      const pid = podmanOk(['inspect', name, '--format', '{{.State.Pid}}']).trim();
      const uid = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)?.[1];
      expect(uid).toBe(String(deployment.spec.template.spec.securityContext.runAsUser));
    } finally {
      podman(['rm', '-f', '--ignore', name]);
    }
  }, 180_000);
});

describe('sandbox (pause) image', () => {
  test('sleeps until SIGTERM, then exits 0', async () => {
    const [out] = refOf('pause');
    ensureInPodman(out);
    const name = `images-test-pause-${process.pid}`;
    podmanOk(['run', '-d', '--name', name, '--network', 'none', '--read-only', out.ref]);
    try {
      await new Promise((r) => setTimeout(r, 1000));
      expect(podmanOk(['inspect', name, '--format', '{{.State.Running}}']).trim()).toBe('true');
      podmanOk(['kill', '--signal', 'TERM', name]);
      expect(podmanOk(['wait', name], 30_000).trim()).toBe('0');
    } finally {
      podman(['rm', '-f', '--ignore', name]);
    }
  }, 60_000);
});
