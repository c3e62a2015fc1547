import * as fs from 'node:fs';
import * as path from 'node:path';
import { SIZING_ARM, componentCosts, type BenchmarkReport } from './report';
import type { SizingBaseline } from './sizing';
import { writeFileAtomic } from '../manifests-src/write-atomic';

/**
 * bench/sizing-baseline.json: the measured costs the config's default requests are sized from
 * (manifests-src/config/capacity.ts), generated from one named benchmark result. `npx tsx bench/render-doc.ts
 * <newest>.json ...` points it at a new result; `npm run docs` re-derives it from the result it names.
 */
export const SIZING_BASELINE_FILE = 'bench/sizing-baseline.json';

/** The baseline from a benchmark result; `file` is the result's path relative to the repository root. */
export function sizingBaseline(report: BenchmarkReport, file: string): SizingBaseline {
  const components = componentCosts(report);
  if (!components) throw new Error(`${file}: no "${SIZING_ARM}" arm measured, nothing to size from`);
  const rounds = new Set(report.results.filter((r) => r.arm === SIZING_ARM).map((r) => r.round)).size;
  return {
    source: { file, date: report.date, mode: report.mode, rounds, arm: SIZING_ARM, machine: report.machine },
    components,
  };
}

/** The baseline file's text for a result file (relative to `root`). */
export function renderSizingBaseline(root: string, file: string): string {
  const report = JSON.parse(fs.readFileSync(path.join(root, file), 'utf8')) as BenchmarkReport;
  return `${JSON.stringify(sizingBaseline(report, file), null, 2)}\n`;
}

/** Writes the baseline from `file` (default: the result the committed baseline names). */
export function regenerateSizingBaseline(root: string, file?: string): string {
  const out = path.join(root, SIZING_BASELINE_FILE);
  const source = file ?? (JSON.parse(fs.readFileSync(out, 'utf8')) as SizingBaseline).source.file;
  writeFileAtomic(out, renderSizingBaseline(root, source));
  return `${SIZING_BASELINE_FILE}: sizing baseline regenerated from ${source}`;
}
