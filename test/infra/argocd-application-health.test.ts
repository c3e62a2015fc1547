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

  test('Healthy and OutOfSync after a sync that Succeeded at that very revision holds the next wave and names each drifted object', () => {
    const resources = [
      { kind: 'Deployment', name: 'airflow-api-server', status: 'Synced' },
      { kind: 'ConfigMap', name: 'airflow-config', status: 'OutOfSync' },
      { kind: 'Service', name: 'airflow-api-server', status: 'OutOfSync' },
    ];
    const drifted = app({ health: { status: 'Healthy' }, sync: { status: 'OutOfSync', revision: 'abc123' }, operationState: { phase: 'Succeeded', syncResult: { revision: 'abc123' } }, resources });
    expect(health(drifted)).toEqual({ status: 'Progressing', message: 'synced abc123 but OutOfSync (drift): ConfigMap airflow-config Service airflow-api-server' });
  });

  test('a sync that Succeeded at an older revision does not count for the new one', () => {
    const behind = app({ health: { status: 'Healthy' }, sync: { status: 'OutOfSync', revision: 'def456' }, operationState: { phase: 'Succeeded', syncResult: { revision: 'abc123' } } });
    expect(health(behind).status).toBe('Progressing');
  });

  test('a Degraded child names the object that is Degraded and why (resource health kept in the Application)', () => {
    const resources = [
      { kind: 'ExternalSecret', name: 'airflow-metadata', health: { status: 'Healthy', message: 'Synced: secret synced' } },
      { kind: 'ExternalSecret', name: 'airflow-broker', health: { status: 'Degraded', message: 'SecretSyncedError: could not get secret data from provider' } },
    ];
    expect(health(app({ health: { status: 'Degraded' }, sync: { status: 'Synced' }, resources }))).toEqual({ status: 'Degraded', message: 'ExternalSecret airflow-broker: SecretSyncedError: could not get secret data from provider' });
  });
});
