import * as fs from 'node:fs';
import type { LocalStack } from '../../local/stack';
import { startTestStack, trigger, unpause, waitRuns } from '../support/local-stack';

/**
 * The API server's async engine (SQLAlchemy + asyncpg, which names and caches its prepared statements) through
 * PgBouncer in transaction pooling, at the PgBouncer version dist/ ships: the local runner starts Debian's
 * package at exactly `images.pgbouncer.packageVersion` (local/pgbouncer-root.ts), what docker/pgbouncer builds.
 * The dag-run wait endpoint reads the run and its XComs on the async engine. With the ini dist/ ships every
 * concurrent request succeeds; with max_prepared_statements = 0 (PgBouncer before 1.24 by default, our ini
 * without the line) the same load fails with asyncpg's "prepared statement ... does not exist".
 */
jest.setTimeout(900_000);

const CONCURRENCY = 32;
const ROUNDS = 3;
const STATEMENT_ERROR = /prepared statement "__asyncpg_stmt_\w+__" does not exist/;

let stack: LocalStack;
let runId: string;
const DAG = 'platform_workload';

beforeAll(async () => {
  stack = await startTestStack('async-engine-pgbouncer', { workers: 1 });
  await unpause(stack, DAG);
  runId = await trigger(stack, DAG, { tasks: 2, seconds: 0 });
  expect(await waitRuns(stack, DAG, [runId], 300_000)).toEqual(['success']);
});

afterAll(async () => {
  await stack?.stop();
});

interface Load {
  failures: string[];
  /** What the api-server logged while the load ran. */
  log: string;
}

/** ROUNDS rounds of CONCURRENCY simultaneous wait requests; a request fails unless its stream ends in `success`. */
async function waitLoad(): Promise<Load> {
  const logFile = stack.processes.get('api-server')!.opts.logFile;
  const from = fs.statSync(logFile).size;
  const token = await stack.apiToken();
  const url = `${stack.apiUrl}/api/v2/dags/${DAG}/dagRuns/${encodeURIComponent(runId)}/wait?interval=0.5`;
  const one = async (): Promise<string | undefined> => {
    try {
      const r = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(60_000) });
      const body = await r.text();
      const lines = body.split('\n').filter(Boolean);
      const last = lines.length ? (JSON.parse(lines[lines.length - 1]) as { state?: string }) : undefined;
      return r.status === 200 && last?.state === 'success' ? undefined : `HTTP ${r.status}: ${body.slice(0, 200) || '(empty body)'}`;
    } catch (e) {
      return `request failed: ${(e as Error).message}`;
    }
  };
  const failures: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const f of await Promise.all(Array.from({ length: CONCURRENCY }, one))) if (f) failures.push(f);
  }
  const log = fs.readFileSync(logFile, 'utf8').slice(from);
  return { failures, log };
}

/**
 * The errors the api-server logged: a traceback's closing exception line, and the lookup id a 500 names (Airflow's
 * database error handler logs the statement under it).
 */
function loggedErrors(log: string): string[] {
  return log.split('\n').filter((l) => /Error with id |^[\w.]+(Error|Exception)\b[^\s]*: /.test(l)).map((l) => l.slice(0, 300));
}

test('the PgBouncer running is the version images.pgbouncer pins (the image dist/ ships)', async () => {
  const upstream = stack.env.images.pgbouncer.packageVersion.replace(/^\d+:/, '').replace(/-[^-]*$/, '');
  expect(await stack.psqlViaPgBouncer('pgbouncer', 'SHOW VERSION')).toBe(`PgBouncer ${upstream}`);
});

test(`${ROUNDS} x ${CONCURRENCY} concurrent dag-run wait requests (async engine) through PgBouncer: 0 errors`, async () => {
  const { failures, log } = await waitLoad();
  // A failure shows what the api-server logged, not only the response (a 500 names just an error id).
  expect({ failures, apiServerErrors: loggedErrors(log) }).toEqual({ failures: [], apiServerErrors: [] });
  expect(log).not.toMatch(STATEMENT_ERROR);
});

test('negative control: the same load with max_prepared_statements = 0 fails with the prepared-statement error', async () => {
  const pgbouncer = stack.env.pgbouncer as { maxPreparedStatements: number };
  const shipped = pgbouncer.maxPreparedStatements;
  // The schema refuses 0 (config/schema.ts); the control sets it behind the schema's back, then restores it.
  pgbouncer.maxPreparedStatements = 0;
  try {
    await stack.restartServer('pgbouncer');
    const { failures, log } = await waitLoad();
    expect(failures.length).toBeGreaterThan(0);
    expect(log).toMatch(STATEMENT_ERROR);
    expect(loggedErrors(log).length).toBeGreaterThan(0); // the extractor the passing test relies on finds them
    console.log(`max_prepared_statements = 0: ${failures.length} of ${ROUNDS * CONCURRENCY} requests failed`);
  } finally {
    pgbouncer.maxPreparedStatements = shipped;
    await stack.restartServer('pgbouncer');
  }
});
