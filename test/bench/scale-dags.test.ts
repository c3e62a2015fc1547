import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { VENV_BIN } from '../../local/stack';
import { runsPerHour, scaleDags, SCHEDULE_MINUTES, TASKS_PER_DAG, writeScaleDags } from '../../bench/scale-dags';
import { activeSubset } from '../../bench/scale';

/** Loads the generated files with Airflow's own DagBag (the locked venv): what the dag-processor would make of them. */
const SCRIPT = `
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
out = {"errors": {k: str(v)[:300] for k, v in bag.import_errors.items()}, "dags": {}}
for d in bag.dags.values():
    out["dags"][d.dag_id] = {
        "tasks": sorted(t.task_id for t in d.tasks),
        "mapped": sorted(t.task_id for t in d.tasks if "MappedOperator" in type(t).__name__),
        "deferrable": sorted(t.task_id for t in d.tasks if getattr(t, "deferrable", False)),
        "cron": d.timetable.expression,
        "roots": sorted(t.task_id for t in d.roots),
        "leaves": sorted(t.task_id for t in d.leaves),
    }
print(json.dumps(out))
`;

test('the generated mix loads in Airflow: ten task definitions per DAG, mapped and deferrable variants, every schedule, no import error', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'scale-dags-'));
  const dags = writeScaleDags(path.join(work, 'dags'), 40);
  const r = spawnSync(path.join(VENV_BIN, 'python'), ['-W', 'ignore', '-c', SCRIPT, path.join(work, 'dags')], {
    env: { PATH: process.env.PATH!, AIRFLOW_HOME: work, AIRFLOW__CORE__LOAD_EXAMPLES: 'False', AIRFLOW__LOGGING__LOGGING_LEVEL: 'ERROR' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(r.status).toBe(0);
  const bag = JSON.parse(r.stdout.trim().split('\n').pop()!) as { errors: Record<string, string>; dags: Record<string, { tasks: string[]; mapped: string[]; deferrable: string[]; cron: string; roots: string[]; leaves: string[] }> };
  expect(bag.errors).toEqual({});
  expect(Object.keys(bag.dags).sort()).toEqual(dags.map((d) => d.dagId));
  for (const d of dags) {
    const got = bag.dags[d.dagId];
    expect({ id: d.dagId, tasks: got.tasks.length, cron: got.cron, leaves: got.leaves }).toEqual({ id: d.dagId, tasks: TASKS_PER_DAG, cron: d.cron, leaves: ['report'] });
    expect(got.mapped).toEqual(d.variant === 'mapped' ? ['double'] : []);
    expect(got.deferrable).toEqual(d.variant === 'deferrable' ? ['wait'] : []);
  }
  expect(new Set(dags.map((d) => d.everyMinutes))).toEqual(new Set(SCHEDULE_MINUTES));
  expect(dags.filter((d) => d.heavyImport).length).toBe(2);
  fs.rmSync(work, { recursive: true, force: true });
}, 180_000);

test('the same count gives the same mix; runs per hour follow the schedules', () => {
  expect(scaleDags(250)).toEqual(scaleDags(250));
  // 5 schedules cycled: per 5 DAGs 12 + 6 + 4 + 2 + 1 runs an hour.
  expect(runsPerHour(scaleDags(50))).toBe(10 * 25);
});

test('the active subset takes the mix in order up to the run rate, never nothing', () => {
  const dags = scaleDags(50);
  const sixty = activeSubset(dags, 60);
  expect(sixty.map((d) => d.dagId)).toEqual(dags.slice(0, sixty.length).map((d) => d.dagId));
  expect(runsPerHour(sixty)).toBeLessThanOrEqual(60);
  expect(runsPerHour(dags.slice(0, sixty.length + 1))).toBeGreaterThan(60);
  expect(activeSubset(dags, 1)).toHaveLength(1);
});
