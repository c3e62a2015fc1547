import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SIZING_BASELINE_FILE, regenerateSizingBaseline, renderSizingBaseline, sizingBaseline } from '../../bench/baseline';
import type { ArmResult, BenchmarkReport } from '../../bench/report';
import type { SizingBaseline } from '../../bench/sizing';

const root = path.resolve(__dirname, '../..');

/** A result with one round per entry of `arms`: the same figure `x` for every component of that round. */
function report(rounds: Array<{ arm: string; x: number }>): BenchmarkReport {
  const each = (x: number) => ({ scheduler: x, 'api-server': 2 * x, pgbouncer: x / 2, workers: 10 * x });
  return {
    date: '2026-01-01T00:00:00.000Z',
    mode: 'quick',
    plan: { workers: 2, workerRequestVcpu: 0.5 },
    machine: { cores: 4, memoryGiB: 16 },
    arms: [],
    results: rounds.map(({ arm, x }, i) => ({ arm, round: i + 1, idle: { idleCores: each(x / 100) }, burst: { cpuSecondsPerTask: each(x), pssMiB: each(100 * x) } }) as unknown as ArmResult),
  };
}

describe('bench/sizing-baseline.json, the measurements the default requests are sized from', () => {
  test('the committed file is what the generator makes from the result it names (regenerate: npm run docs)', () => {
    const committed = fs.readFileSync(path.join(root, SIZING_BASELINE_FILE), 'utf8');
    const source = (JSON.parse(committed) as SizingBaseline).source.file;
    expect(source).toMatch(/^bench\/results\/[^/]+\.json$/);
    expect(committed).toBe(renderSizingBaseline(root, source));
  });

  test('medians of the project arm only; workers per pod of the plan, with the request they ran at', () => {
    const b = sizingBaseline(report([{ arm: 'project', x: 1 }, { arm: 'stock', x: 50 }, { arm: 'project', x: 3 }, { arm: 'project', x: 2 }]), 'bench/results/r.json');
    expect(b.source).toEqual({ file: 'bench/results/r.json', date: '2026-01-01T00:00:00.000Z', mode: 'quick', rounds: 3, arm: 'project', machine: { cores: 4, memoryGiB: 16 } });
    expect(b.components.scheduler).toEqual({ cpuSecondsPerTask: 2, idleCores: 0.02, memoryMiB: 200 });
    expect(b.components['api-server'].cpuSecondsPerTask).toBe(4);
    expect(b.components.workers).toEqual({ cpuSecondsPerTask: 20, idleCores: 0.2, memoryMiB: 1000, replicaVcpu: 0.5 });
    expect(b.components).not.toHaveProperty('log-sink');
    expect(() => sizingBaseline(report([{ arm: 'stock', x: 1 }]), 'bench/results/s.json')).toThrow(/bench\/results\/s\.json: no "project" arm/);
  });

  test('a new result becomes the baseline; without one the baseline is re-derived from the result it names', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sizing-baseline-'));
    fs.mkdirSync(path.join(tmp, 'bench', 'results'), { recursive: true });
    const write = (name: string, x: number) => fs.writeFileSync(path.join(tmp, 'bench', 'results', name), JSON.stringify(report([{ arm: 'project', x }])));
    const read = () => JSON.parse(fs.readFileSync(path.join(tmp, SIZING_BASELINE_FILE), 'utf8')) as SizingBaseline;
    write('a.json', 1);
    write('b.json', 2);
    expect(regenerateSizingBaseline(tmp, 'bench/results/b.json')).toMatch(/regenerated from bench\/results\/b\.json/);
    expect(read().components.scheduler.cpuSecondsPerTask).toBe(2);
    write('b.json', 5);
    regenerateSizingBaseline(tmp);
    expect(read().source.file).toBe('bench/results/b.json');
    expect(read().components.scheduler.cpuSecondsPerTask).toBe(5);
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});
