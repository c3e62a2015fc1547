import * as fs from 'node:fs';
import * as path from 'node:path';
import { changeSummary, summarise, type BenchmarkReport } from '../../bench/report';
import type { SizingBaseline } from '../../bench/sizing';

const root = path.resolve(__dirname, '../..');
const baseline = JSON.parse(fs.readFileSync(path.join(root, 'bench', 'sizing-baseline.json'), 'utf8')) as SizingBaseline;
const readReport = (f: string) => JSON.parse(fs.readFileSync(path.join(root, f), 'utf8')) as BenchmarkReport;
/** The result files the README's summary names, in its order. */
const readmeFiles = () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const line = /^Medians; both arms of a row come from one run: (.*)\.$/m.exec(readme)![1];
  return [...line.matchAll(/`([^`]+\.json)`/g)].map((m) => m[1]);
};
/** The first run the README names that measured stock, stock + PgBouncer and the project. */
const report = readmeFiles()
  .map(readReport)
  .find((r) => ['stock', 'stock+pgbouncer', 'project'].every((id) => r.results.some((x) => x.arm === id)))!;

test('the change summary pairs each change with the arm before it, medians of that run', () => {
  const s = summarise(report);
  const median = (id: string, f: (a: ReturnType<typeof summarise>[number]) => { median: number }) => f(s.find((a) => a.id === id)!).median;
  const rows = changeSummary(report).split('\n').slice(2);
  const pgbouncer = rows.find((r) => r.startsWith('| PgBouncer'))!;
  expect(pgbouncer).toContain(`${median('stock', (a) => a.tasksPerMinute).toFixed(0)} -> ${median('stock+pgbouncer', (a) => a.tasksPerMinute).toFixed(0)}`);
  expect(pgbouncer).toContain(`${median('stock', (a) => a.peakPgConnections).toFixed(0)} -> ${median('stock+pgbouncer', (a) => a.peakPgConnections).toFixed(0)}`);
  const project = rows.find((r) => r.startsWith("| this project's settings"))!;
  expect(project).toContain(`${median('stock+pgbouncer', (a) => a.cpuSecondsPerTask).toFixed(2)} -> ${median('project', (a) => a.cpuSecondsPerTask).toFixed(2)}`);
  // One ablation row per ablation arm measured, before = the change undone, after = the project as shipped.
  const ablations = report.arms.filter((a) => a.id.startsWith('project-') && report.results.some((r) => r.arm === a.id));
  expect(rows).toHaveLength(2 + ablations.length);
});

test('an arm with no finished round gives no row', () => {
  const withoutStock = { ...report, results: report.results.filter((r) => r.arm !== 'stock') };
  expect(changeSummary(withoutStock)).not.toMatch(/PgBouncer in front/);
});

test('the README shows the summary of the runs it names, the first being the sizing baseline', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const files = readmeFiles();
  expect(files[0]).toBe(baseline.source.file);
  const reports = files.map(readReport);
  expect(readme).toContain(changeSummary(...reports));
});
