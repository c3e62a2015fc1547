import { hookRuns, type JobEvent } from '../../cluster/hook-runs';

const created = (uid: string | undefined, name = 'airflow-migrate', kind = 'Job'): JobEvent => ({ reason: 'SuccessfulCreate', involvedObject: { kind, name, uid } });

describe('hook runs counted from events, not from the Jobs left', () => {
  test('a re-run of a BeforeHookCreation hook is a second Job uid, though only one Job exists afterwards', () => {
    expect(hookRuns([created('a')], 'airflow-migrate')).toEqual(['a']);
    expect(hookRuns([created('a'), created('b')], 'airflow-migrate')).toEqual(['a', 'b']);
  });

  test('one Job creating several pods (a retried pod) is one run; other Jobs and reasons do not count', () => {
    const events = [created('a'), created('a'), created('x', 'other-job'), created('y', 'airflow-migrate', 'Pod'), { reason: 'Completed', involvedObject: { kind: 'Job', name: 'airflow-migrate', uid: 'z' } }];
    expect(hookRuns(events, 'airflow-migrate')).toEqual(['a']);
  });

  test('an event without a uid is an error, not a guess', () => {
    expect(() => hookRuns([created(undefined)], 'airflow-migrate')).toThrow(/names no uid/);
  });
});
