import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { killLeftovers, writePidFile } from '../../local/pid-file';
import { descendantsOf, isAlive, procStat, processesIn } from '../../local/proc';
import { Supervisor } from '../../local/supervisor';

/** Supervision without a stack: real processes (sleep), real /proc, real signals. */
let stateDir: string;
beforeEach(() => {
  stateDir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'supervision-')));
  fs.mkdirSync(path.join(stateDir, 'run'));
});
afterEach(() => {
  killLeftovers(stateDir);
  fs.rmSync(stateDir, { recursive: true, force: true });
});

const until = async (what: string, check: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

test('/proc: a shell and its sleep child are found as a tree and by their working folder', async () => {
  const sh = spawn('bash', ['-c', 'sleep 30 & wait'], { cwd: stateDir, detached: true, stdio: 'ignore' });
  try {
    await until('the sleep child', () => descendantsOf(sh.pid!).length === 1);
    const [child] = descendantsOf(sh.pid!);
    expect(procStat(child)?.ppid).toBe(sh.pid);
    expect(processesIn(stateDir).sort()).toEqual([sh.pid!, child].sort());
    expect(processesIn(path.join(stateDir, 'elsewhere'))).toEqual([]);
  } finally {
    process.kill(-sh.pid!, 'SIGKILL');
  }
});

test('a component that dies unexpectedly is restarted with back-off; a stopped one is not', async () => {
  const lines: string[] = [];
  const sup = new Supervisor(stateDir, (l) => lines.push(l));
  const start = () => sup.spawn('sleeper', { command: 'sleep', args: ['30'], env: process.env });
  sup.restartWith('sleeper', start);
  const first = start().pid!;
  process.kill(first, 'SIGKILL');
  await until('the restart', () => sup.processes.get('sleeper')!.pid !== first && sup.processes.get('sleeper')!.running);
  expect(sup.restarts.get('sleeper')).toBe(1);
  expect(lines.some((l) => /\[sleeper\] EXITED unexpectedly/.test(l))).toBe(true);
  const second = sup.processes.get('sleeper')!;
  await sup.stopAll([], () => 1_000);
  expect(second.running).toBe(false);
  expect(sup.restarts.get('sleeper')).toBe(1);
  expect(fs.existsSync(path.join(stateDir, 'run', 'pids.json'))).toBe(false);
});

test('the pid file of a crashed runner: its process groups and stray processes in the folder are killed', async () => {
  const sup = new Supervisor(stateDir, () => {});
  const p = sup.spawn('leftover', { command: 'sleep', args: ['30'], env: process.env });
  // A task process that left its worker's group, still running inside the state folder.
  const stray = spawn('sleep', ['30'], { cwd: stateDir, detached: true, stdio: 'ignore' });
  // The runner that wrote the file is gone: a pid that is not alive stands in for it.
  writePidFile(stateDir, sup.processes);
  const file = path.join(stateDir, 'run', 'pids.json');
  const recorded = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, number>;
  fs.writeFileSync(file, JSON.stringify({ ...recorded, '(runner)': 2 ** 22 + 1 }));
  expect(isAlive(2 ** 22 + 1)).toBe(false);
  const log: string[] = [];
  killLeftovers(stateDir, (l) => log.push(l));
  await until('both gone', () => !p.running && procStat(stray.pid!) === undefined);
  expect(log).toEqual([`[leftover] killed a leftover process group ${p.pid} from an earlier run`]);
  expect(fs.existsSync(file)).toBe(false);
});
