import { phaseShares, summariseCollapsed, WORKER_PHASES } from '../../bench/py-spy';

describe('py-spy collapsed-stack summary', () => {
  test('inclusive and self shares per frame, process prefix and line numbers dropped, path shortened', () => {
    const raw = [
      'process 10:"airflow celery worker";main (/v/lib/python3.11/site-packages/airflow/__main__.py:12);_fork (/v/site-packages/airflow/sdk/execution_time/supervisor.py:300);import_module (<frozen importlib>:90) 6',
      'process 10:"airflow celery worker";main (/v/lib/python3.11/site-packages/airflow/__main__.py:12);poll (/v/site-packages/celery/worker/loops.py:83) 4',
      'not a sample line',
    ].join('\n');
    const s = summariseCollapsed(raw);
    expect(s.samples).toBe(10);
    expect(s.inclusive[0]).toEqual(['main (site-packages/airflow/__main__.py)', 1]);
    expect(s.inclusive).toContainEqual(['_fork (sdk/execution_time/supervisor.py)', 0.6]);
    expect(s.self).toEqual([
      ['import_module (<frozen importlib>)', 0.6],
      ['poll (celery/worker/loops.py)', 0.4],
    ]);
  });
});

describe('py-spy samples by phase of a task', () => {
  const raw = [
    // Innermost phase wins: the bundle import inside the task's start-up belongs to the import phase.
    'process 1:"celeryd";process 2:"supervisor";execute_workload (/v/celery/executors/celery_executor_utils.py:243);ActivitySubprocess.start (/v/sdk/execution_time/supervisor.py:9);_fork_main (/v/sdk/execution_time/supervisor.py:40);startup (/v/sdk/execution_time/task_runner.py:7);DagBundlesManager.__init__ (/v/bundles/manager.py:3);import_string (/v/utils/module_loading.py:1) 5',
    'process 1:"celeryd";process 2:"supervisor";execute_workload (/v/celery/executors/celery_executor_utils.py:243);ActivitySubprocess.start (/v/sdk/execution_time/supervisor.py:9);_fork_main (/v/sdk/execution_time/supervisor.py:40);startup (/v/sdk/execution_time/task_runner.py:7);DagBag.__init__ (/v/dag.py:2) 2',
    'process 1:"celeryd";process 2:"supervisor";execute_workload (/v/celery/executors/celery_executor_utils.py:243);TypeAdapter.__init__ (/v/pydantic/type_adapter.py:1) 1',
    'process 1:"celeryd";asynloop (/v/celery/worker/loops.py:83) 2',
  ].join('\n');

  test('each sample counts once, for the innermost phase on its stack; the rest is other', () => {
    expect(Object.fromEntries(phaseShares(raw, WORKER_PHASES))).toEqual({
      'task process: DAG bundle class import': 0.5,
      'task process: DAG bundle and DAG file parse': 0.2,
      'pool process: decode the workload, set up the supervisor and its API client': 0.1,
      other: 0.2,
    });
  });

  test('a function name matches the whole name only (a method of the same name elsewhere is not a phase)', () => {
    expect(phaseShares('process 1:"x";Other.startup (/v/a.py:1) 3', WORKER_PHASES)).toEqual([['other', 1]]);
  });
});
