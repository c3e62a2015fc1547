import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT, VENV_BIN } from '../../local/stack';

const run = promisify(execFile);

interface IntegrityReport {
  files: { file: string; seconds: number; dags: string[] }[];
  problems: string[];
}

/** Runs the DAG integrity check with the locked Airflow; returns its report and exit code. */
async function integrity(folder: string): Promise<{ code: number; report: IntegrityReport }> {
  const r = await run(path.join(VENV_BIN, 'python'), [path.join(PROJECT_ROOT, 'local', 'dag_integrity.py'), folder], { cwd: PROJECT_ROOT, maxBuffer: 16 << 20 })
    .then((x) => ({ code: 0, stdout: x.stdout }))
    .catch((e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }));
  const line = r.stdout.split('\n').find((l) => l.startsWith('DAG_INTEGRITY_REPORT '));
  if (!line) throw new Error(`no report from dag_integrity.py:\n${r.stdout}`);
  return { code: r.code, report: JSON.parse(line.slice('DAG_INTEGRITY_REPORT '.length)) as IntegrityReport };
}

test('every DAG in dags/ imports cleanly, within the time budget, and follows the DAG rules', async () => {
  const { code, report } = await integrity(path.join(PROJECT_ROOT, 'dags'));
  expect(report.problems).toEqual([]);
  expect(code).toBe(0);
  expect(report.files.flatMap((f) => f.dags).sort()).toEqual(['bench_single_task', 'deferred_workload', 'example_platform', 'platform_workload']);
  for (const f of report.files) expect(f.seconds).toBeLessThan(2);
}, 120_000);

test('bad DAG files give one clear message each: syntax error, missing module, slow top-level code, rule breaks', async () => {
  const { code, report } = await integrity(path.join(__dirname, 'fixtures', 'bad-dags'));
  expect(code).toBe(1);
  const p = report.problems.join('\n');
  expect(p).toMatch(/syntax_error\.py: import error: SyntaxError/);
  expect(p).toMatch(/missing_module\.py: import error: ModuleNotFoundError: No module named 'not_a_real_module_for_tests'/);
  expect(p).toMatch(/rule_breaker\.py: import took [\d.]+ s, over the 2\.0 s budget/);
  expect(p).toMatch(/rule_breaker\.py: DAG rule_breaker: no tags/);
  expect(p).toMatch(/rule_breaker\.py: DAG rule_breaker task t: owner not set/);
  expect(p).toMatch(/rule_breaker\.py: DAG rule_breaker task t: retries must be >= 1/);
}, 120_000);

test('an oversized DAG folder is refused with its size and the budget', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oversized-dags-'));
  try {
    fs.copyFileSync(path.join(PROJECT_ROOT, 'dags', 'example_platform.py'), path.join(dir, 'example_platform.py'));
    fs.writeFileSync(path.join(dir, 'reference-data.csv'), Buffer.alloc(25 * 1024 * 1024, 'x'));
    const { code, report } = await integrity(dir);
    expect(code).toBe(1);
    expect(report.problems).toEqual([expect.stringMatching(/^DAG folder too large: 2 files, 26\.\d MB \(budget 400 files, 20 MB\)/)]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
