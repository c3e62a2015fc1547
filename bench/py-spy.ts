import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TOOLS_BIN } from '../local/stack';

/** py-spy (from the local-tools lock) sampling a component's process tree while the burst runs. */

export const PY_SPY = path.join(TOOLS_BIN, 'py-spy');

export interface Recording {
  stop(): Promise<string>;
}

/** Samples at a low rate without pausing the target (--nonblocking), children included (task processes). */
export function record(pid: number, outFile: string, rateHz = 29): Recording {
  if (!fs.existsSync(PY_SPY)) throw new Error(`${PY_SPY} is missing: run bash local/install.sh (py-spy is in requirements/local-tools.lock)`);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  const child: ChildProcess = spawn(PY_SPY, ['record', '--pid', String(pid), '--subprocesses', '--nonblocking', '--rate', String(rateHz), '--format', 'raw', '--output', outFile], { stdio: 'ignore' });
  return {
    stop: async () => {
      child.kill('SIGINT');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      return outFile;
    },
  };
}

/** `func (/long/path/site-packages/pkg/mod.py:12)` -> `func (site-packages/pkg/mod.py)`: line numbers merged, paths shortened. */
function frameName(raw: string): string {
  const m = /^(.*) \((.*?)(?::\d+)?\)$/.exec(raw.trim());
  if (!m) return raw.trim();
  return `${m[1]} (${m[2].split('/').slice(-3).join('/')})`;
}

/** Where the samples are: frames by share of all samples, inclusive (anywhere on the stack) and self (leaf). */
export function summariseCollapsed(text: string, top = 40): { samples: number; inclusive: [string, number][]; self: [string, number][] } {
  const inclusive = new Map<string, number>();
  const self = new Map<string, number>();
  let samples = 0;
  for (const line of text.split('\n')) {
    const at = line.lastIndexOf(' ');
    if (at < 0) continue;
    const n = Number(line.slice(at + 1));
    if (!Number.isFinite(n)) continue;
    // The first frame is the process (e.g. "process 123:\"airflow worker\""): keep the Python frames.
    const frames = line.slice(0, at).split(';').map(frameName).filter((f) => f && !f.startsWith('process '));
    samples += n;
    for (const f of new Set(frames)) inclusive.set(f, (inclusive.get(f) ?? 0) + n);
    const leaf = frames[frames.length - 1];
    if (leaf) self.set(leaf, (self.get(leaf) ?? 0) + n);
  }
  const rank = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([f, n]): [string, number] => [f, n / Math.max(1, samples)]);
  return { samples, inclusive: rank(inclusive), self: rank(self) };
}
