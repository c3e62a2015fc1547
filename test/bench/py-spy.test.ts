import { summariseCollapsed } from '../../bench/py-spy';

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
