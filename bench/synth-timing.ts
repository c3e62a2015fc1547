import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEnvironments } from '../manifests-src/config';
import { renderDist } from '../manifests-src/synth';
import { replaceDirAtomically } from '../manifests-src/write-atomic';

/**
 * `npm run bench:synth`: how long the full dist/ takes to render and write, over several runs
 * (the first one includes module warm-up). Prints figures; asserts nothing.
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const envs = loadEnvironments();
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
const render: number[] = [];
const write: number[] = [];
let files = 0;
let bytes = 0;
for (let i = 0; i < RUNS; i++) {
  const t0 = process.hrtime.bigint();
  const m = renderDist(envs);
  const t1 = process.hrtime.bigint();
  replaceDirAtomically(path.join(out, 'dist'), m);
  const t2 = process.hrtime.bigint();
  render.push(Number(t1 - t0) / 1e6);
  write.push(Number(t2 - t1) / 1e6);
  files = m.size;
  bytes = [...m.values()].reduce((a, v) => a + Buffer.byteLength(v), 0);
}
fs.rmSync(out, { recursive: true, force: true });
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const fmt = (n: number) => `${n.toFixed(1)} ms`;
console.log(`synth benchmark: ${envs.length} environments, ${files} files, ${(bytes / 1024).toFixed(0)} KiB, ${RUNS} runs on ${os.cpus().length} CPU(s)`);
console.log(`  render: first ${fmt(render[0])}, median ${fmt(q(render.slice(1), 0.5))}, p95 ${fmt(q(render.slice(1), 0.95))}`);
console.log(`  write : first ${fmt(write[0])}, median ${fmt(q(write.slice(1), 0.5))}, p95 ${fmt(q(write.slice(1), 0.95))}`);
console.log(`  peak RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
