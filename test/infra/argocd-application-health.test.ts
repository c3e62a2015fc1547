import { APPLICATION_HEALTH_LUA } from '../../infra/lib/argocd';
import { runHealthLua, type Lua } from '../support/argo-lua';

/** The Application health check that gates the app-of-apps waves, run on Application objects as Argo CD stores them. */
const health = (obj: Record<string, Lua>) => runHealthLua(APPLICATION_HEALTH_LUA, obj);

const app = (status: Record<string, Lua> | null) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'dev-airflow' }, ...(status ? { status } : {}) });

describe('Application health (argocd-cm resource.customizations.health.argoproj.io_Application)', () => {
  test('a child just created, with no status yet, is Progressing: the next wave waits', () => {
    expect(health(app(null)).status).toBe('Progressing');
    expect(health(app({})).status).toBe('Progressing');
  });

  test('Synced and Healthy, with its sync finished, is Healthy: the next wave starts', () => {
    expect(health(app({ health: { status: 'Healthy' }, sync: { status: 'Synced' }, operationState: { phase: 'Succeeded' } }))).toEqual({ status: 'Healthy', message: '' });
  });

  test('Healthy while its sync still runs, or Healthy but OutOfSync after a failed attempt, is Progressing', () => {
    expect(health(app({ health: { status: 'Healthy' }, sync: { status: 'Synced' }, operationState: { phase: 'Running' } }))).toEqual({ status: 'Progressing', message: 'sync running' });
    const retrying = health(app({ health: { status: 'Healthy' }, sync: { status: 'OutOfSync' }, operationState: { phase: 'Failed', message: 'one or more objects failed to apply' } }));
    expect(retrying).toEqual({ status: 'Progressing', message: 'healthy but not synced yet: one or more objects failed to apply' });
  });

  test("a child's own Degraded, Missing or Progressing health passes through with its message", () => {
    for (const status of ['Degraded', 'Missing', 'Progressing']) {
      expect(health(app({ health: { status, message: `pods ${status}` }, sync: { status: 'Synced' } }))).toEqual({ status, message: `pods ${status}` });
    }
  });
});
