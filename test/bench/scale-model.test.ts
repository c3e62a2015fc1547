import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ScaleReport } from '../../bench/scale';
import { at, dagLoad, fitCostLine, fitLine, fitScaleModel, neededIntervalSeconds, passCpuSeconds, predictedDagProcessorCores, predictedParseCycleSeconds, type ScaleModel } from '../../bench/scale-model';
import { SCALE_MODEL } from '../../manifests-src/config';
import { newestScaleReport, SCALE_MODEL_FILE } from '../../scripts/scale-table';

const root = path.resolve(__dirname, '../..');

test('fitLine: exact through points on a line; flat through the mean of a single x', () => {
  expect(fitLine([50, 250, 1000], [10 + 0.5 * 50, 10 + 0.5 * 250, 10 + 0.5 * 1000])).toEqual({ intercept: expect.closeTo(10, 9), perDag: expect.closeTo(0.5, 9) });
  expect(fitLine([5, 5], [1, 3])).toEqual({ intercept: 2, perDag: 0 });
  expect(() => fitLine([], [])).toThrow(/at least one/);
  // A cost that seems to fall with more DAGs is noise: flat through the mean instead.
  expect(fitCostLine([50, 250], [0.1, 0.08])).toEqual({ intercept: expect.closeTo(0.09, 9), perDag: 0 });
  expect(fitCostLine([50, 250], [0.08, 0.1])).toEqual(fitLine([50, 250], [0.08, 0.1]));
});

test('the committed model is the fit of the newest bench:scale report (npm run docs writes it), not typed by hand', () => {
  const name = newestScaleReport(root);
  expect(name).toBeDefined();
  const file = path.join('bench', 'results', name!);
  const report = JSON.parse(fs.readFileSync(path.join(root, file), 'utf8')) as ScaleReport;
  const committed = JSON.parse(fs.readFileSync(path.join(root, SCALE_MODEL_FILE), 'utf8')) as ScaleModel;
  expect(committed).toEqual(JSON.parse(JSON.stringify(fitScaleModel(report, file))));
  expect(SCALE_MODEL).toEqual(committed);
  // Three repeats at every count, as the figures in docs/ need; a repeat that failed is listed in the report (and the
  // doc) with its error, and at least two measured ones remain.
  for (const p of committed.points) {
    const failed = report.failures.filter((f) => f.dags === p.dags).length;
    expect({ dags: p.dags, attempts: p.repeats + failed, measuredAtLeastTwo: p.repeats >= 2 }).toEqual({ dags: p.dags, attempts: 3, measuredAtLeastTwo: true });
  }
});

describe('the model at the points it was measured at', () => {
  const m = SCALE_MODEL;
  const w = m.measuredWith;
  test.each(m.points.map((p) => [p.dags, p]))('%i DAG files', (_n, p) => {
    // Parse cycle before unpausing (every file paused): at least the interval, at most the files' CPU in one thread.
    const cycle = predictedParseCycleSeconds(m, p.dags, 0, w.minFileProcessIntervalSeconds);
    expect(p.parseCycleSeconds).toBeGreaterThanOrEqual(w.minFileProcessIntervalSeconds - 1);
    expect(p.parseCycleSeconds).toBeLessThanOrEqual(1.15 * cycle);
    expect(Math.abs(at(m.parseCpuSecondsPerFile, p.dags) - p.parseCpuSecondsPerFile)).toBeLessThanOrEqual(0.15 * p.parseCpuSecondsPerFile);
    // The window's dag-processor cores with the active DAGs (fitted at the smallest count): sizing asks for the
    // demand, so the model must never be below what was used. (Above it, the dag-processor got less: at 250 files
    // the machine's two cores were taken, at 1,000 its manager thread was the bound; docs/benchmark.md.)
    const cores = predictedDagProcessorCores(m, p.dags, p.activeDags, w.minFileProcessIntervalSeconds, w.parsingProcesses);
    expect(p.dagProcessorCores).toBeLessThanOrEqual(1.15 * cores);
    // Lines through the medians: within a quarter (or a small absolute slack near zero).
    expect(Math.abs(at(m.schedulerCores, p.dags) - p.schedulerCores)).toBeLessThanOrEqual(Math.max(0.05, 0.25 * p.schedulerCores));
    expect(Math.abs(at(m.schedulerLoopSeconds, p.dags) - p.schedulerLoopSeconds)).toBeLessThanOrEqual(Math.max(0.05, 0.3 * p.schedulerLoopSeconds));
    expect(Math.abs(at(m.apiServerMiB, p.dags) - p.apiServerMiB)).toBeLessThanOrEqual(0.15 * p.apiServerMiB);
    expect(Math.abs(at(m.dbMiB, p.dags) - p.dbMiB)).toBeLessThanOrEqual(Math.max(2, 0.2 * p.dbMiB));
  });
});

test('the interval a DAG count needs keeps one pass within it at the target utilisation; processes cover the cores', () => {
  const m = SCALE_MODEL;
  for (const n of [1, 50, 250, 1000, 2000]) {
    const interval = neededIntervalSeconds(m, n, 0.7);
    const l = dagLoad(m, n, interval, 0.7);
    expect(interval).toBeGreaterThanOrEqual(30);
    if (!l.overOneProcessor) expect(passCpuSeconds(m, n)).toBeLessThanOrEqual(0.7 * interval + 1e-9);
    expect(predictedParseCycleSeconds(m, n, n, interval)).toBeLessThanOrEqual(l.overOneProcessor ? Infinity : interval / 0.7 + 1e-9);
    expect(l.parseCores).toBeCloseTo(passCpuSeconds(m, n) / interval);
    expect(l.parsingProcesses).toBeGreaterThanOrEqual(2);
    expect(l.parsingProcesses * 0.7).toBeGreaterThanOrEqual(l.parseCores - 1e-9);
  }
  // More files, a longer interval; a configured shorter one costs more cores.
  expect(neededIntervalSeconds(m, 1000, 0.7)).toBeGreaterThan(neededIntervalSeconds(m, 50, 0.7));
  expect(dagLoad(m, 1000, 30, 0.7).parseCores).toBeGreaterThan(dagLoad(m, 1000, neededIntervalSeconds(m, 1000, 0.7), 0.7).parseCores);
  // Past an hour one dag-processor cannot carry the files.
  expect(dagLoad(m, 100000, 3600, 0.7).overOneProcessor).toBe(true);
});
