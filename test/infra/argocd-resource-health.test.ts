import { argoCdValues } from '../../infra/lib/argocd';
import { healthCheckKey, READY_CONDITION_KINDS, readyConditionHealthLua } from '../../infra/lib/argocd-health';
import { loadEnvironments } from '../../manifests-src/config';
import { runHealthLua, type Lua } from '../support/argo-lua';

/**
 * The health checks of the custom resources a sync wave waits on (issue 22 item 8), run with Lua 5.1 on objects shaped
 * as External Secrets 0.20 and KEDA write their status. The local cluster's scenario (test/cluster/scenarios) shows the
 * same checks stopping the secrets wave in a real Argo CD.
 */
const withConditions = (kind: string, conditions: Lua[] | null) => ({ kind, metadata: { name: 'x' }, ...(conditions ? { status: { conditions } } : {}) });

describe.each(READY_CONDITION_KINDS.map((k) => [k.kind, k] as const))('%s health from its Ready condition', (kind, k) => {
  const lua = readyConditionHealthLua(kind);

  test('no status yet, or Ready Unknown: Progressing, so the next wave waits', () => {
    expect(runHealthLua(lua, withConditions(kind, null))).toEqual({ status: 'Progressing', message: `waiting for the ${kind} to report its Ready condition` });
    expect(runHealthLua(lua, withConditions(kind, [])).status).toBe('Progressing');
    expect(runHealthLua(lua, withConditions(kind, [{ type: 'Ready', status: 'Unknown', reason: 'Reconciling', message: 'in progress' }])).status).toBe('Progressing');
  });

  test('Ready True: Healthy', () => {
    expect(runHealthLua(lua, withConditions(kind, [{ type: 'Ready', status: 'True', reason: 'Synced', message: 'ok' }]))).toEqual({ status: 'Healthy', message: 'Synced: ok' });
  });

  test('Ready False: Degraded with the reason and message, whatever other conditions say', () => {
    const conditions: Lua[] = [
      { type: 'Active', status: 'True' },
      { type: 'Ready', status: 'False', reason: 'SecretSyncedError', message: 'could not get secret data from provider' },
    ];
    expect(runHealthLua(lua, withConditions(kind, conditions))).toEqual({ status: 'Degraded', message: 'SecretSyncedError: could not get secret data from provider' });
  });

  test('installed by the values the CDK stack gives the Argo CD chart (which the local cluster installs too)', () => {
    for (const env of loadEnvironments()) {
      const cm = (argoCdValues(env) as { configs: { cm: Record<string, string> } }).configs.cm;
      expect(cm[healthCheckKey(k)]).toBe(lua);
    }
  });
});
