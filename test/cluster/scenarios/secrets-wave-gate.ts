import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { APP_GROUPS, secretsManagerNames } from '../../../manifests-src/config';
import { groupAppName, rootAppName } from '../../../manifests-src/gitops/argocd-settings';
import { awsJson } from '../../../local/aws-seed';
import { ARGOCD_NS, applications, expectedApplications, settled } from '../../../cluster/gitops';
import { kubectl, kubectlJson } from '../../../cluster/node/kubectl';
import { PROJECT_ROOT } from '../../../local/stack';
import { MIN, type ScenarioContext } from './context';

/**
 * Issue 22 item 8 on the running cluster: the Secrets Manager secret behind one ExternalSecret disappears. The secrets
 * Application must turn Degraded and say why (Argo CD's health of the ExternalSecret, from its Ready condition), the
 * app of apps must stop at the secrets wave (a later wave's Application, deleted for the purpose, is not re-created),
 * and no pod of a later wave may be created meanwhile. Then the secret comes back and everything is Synced + Healthy
 * again, as an operator's fix would make it.
 */

interface AppJson {
  metadata: { name: string };
  spec: { destination: { namespace?: string } };
  status?: {
    health?: { status?: string; message?: string };
    resources?: { kind: string; name: string; status?: string; health?: { status?: string; message?: string } }[];
    operationState?: { phase?: string; message?: string; syncResult?: { resources?: { kind: string; name: string; status?: string; message?: string }[] } };
  };
}

const app = (name: string) => kubectlJson<AppJson>(['-n', ARGOCD_NS, 'get', 'applications.argoproj.io', name]);

/** The ExternalSecret of dist/<env>/secrets that extracts `key` from Secrets Manager. */
function externalSecretOf(envName: string, key: string): { name: string; namespace: string } {
  const dir = path.join(PROJECT_ROOT, 'dist', envName, 'secrets');
  for (const f of fs.readdirSync(dir)) {
    for (const d of parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8'))) {
      const o = d.toJS() as { kind?: string; metadata: { name: string; namespace: string }; spec?: { dataFrom?: { extract?: { key?: string } }[]; data?: { remoteRef?: { key?: string } }[] } };
      const keys = [...(o?.spec?.dataFrom ?? []).map((x) => x.extract?.key), ...(o?.spec?.data ?? []).map((x) => x.remoteRef?.key)];
      if (o?.kind === 'ExternalSecret' && keys.includes(key)) return o.metadata;
    }
  }
  throw new Error(`no ExternalSecret in ${dir} reads ${key}`);
}

export async function missingSecretHoldsTheSecretsWave(ctx: ScenarioContext): Promise<void> {
  const { env, log, until } = ctx;
  const endpoint = `http://${ctx.services.host}:${ctx.services.ports.awsApi}`;
  const sm = (target: string, body: unknown) => awsJson(endpoint, env.aws.region, 'secretsmanager', `secretsmanager.${target}`, body);
  const secretsGroup = APP_GROUPS.find((g) => g.name === 'secrets')!;
  const secretsApp = groupAppName(env, 'secrets');
  const root = rootAppName(env);
  const later = expectedApplications(env).filter((a) => a.wave > secretsGroup.wave);
  // The first later wave (PgBouncer): its Application is deleted and must not come back while secrets are Degraded.
  const victim = [...later].sort((a, b) => a.wave - b.wave)[0];
  const namespaces = [...new Set(later.map((a) => app(a.name).spec.destination.namespace ?? env.namespace))];

  const key = secretsManagerNames(env).broker;
  const es = externalSecretOf(env.name, key);
  const forceSync = () => kubectl(['-n', es.namespace, 'annotate', 'externalsecrets.external-secrets.io', es.name, `force-sync=${Date.now()}`, '--overwrite']);
  const saved = await sm('GetSecretValue', { SecretId: key });
  if (saved.status !== 200) throw new Error(`Secrets Manager has no ${key} to remove: HTTP ${saved.status} ${JSON.stringify(saved.json)}`);
  const removedAt = Date.now();
  const removed = await sm('DeleteSecret', { SecretId: key, ForceDeleteWithoutRecovery: true });
  if (removed.status !== 200) throw new Error(`DeleteSecret ${key}: HTTP ${removed.status} ${JSON.stringify(removed.json)}`);
  log(`  removed Secrets Manager secret ${key} (read by ExternalSecret ${es.namespace}/${es.name})`);
  try {
    forceSync();
    await until(`${secretsApp} Degraded`, () => app(secretsApp).status?.health?.status === 'Degraded', 3 * MIN, 2000);
    const a = app(secretsApp);
    const esState = a.status?.resources?.find((r) => r.kind === 'ExternalSecret' && r.name === es.name);
    log(`  ${secretsApp}: health ${JSON.stringify(a.status?.health)}; ExternalSecret ${es.name}: ${JSON.stringify(esState)}`);
    // The reason, as Argo CD shows it: the ExternalSecret's Ready condition, on the resource and in the Application's health.
    expect(esState?.health?.status).toBe('Degraded');
    expect(esState?.health?.message).toMatch(/SecretSyncedError/);
    expect(a.status?.health?.message ?? '').toContain(es.name);

    // The app of apps synced in full, as on a first install or a change of argocd/ (an operator's `argocd app sync`,
    // with the Application's own retry): it stops at the secrets wave, and keeps stopping there on each retry. A later
    // wave's Application deleted meanwhile stands for one not created yet: no retry may create it. (Self-heal of the
    // app of apps alone would re-create it at once: Argo CD's self-heal syncs only what is OutOfSync, without waves.)
    const rootApp = kubectlJson<{ spec: { syncPolicy?: { retry?: unknown } }; status?: { sync?: { revision?: string } } }>(['-n', ARGOCD_NS, 'get', 'applications.argoproj.io', root]);
    await until(`${root} without a running sync`, () => app(root).status?.operationState?.phase !== 'Running', 5 * MIN, 2000);
    const operation = { initiatedBy: { username: 'cluster-test' }, sync: { revision: rootApp.status?.sync?.revision, syncStrategy: { hook: {} } }, retry: rootApp.spec.syncPolicy?.retry };
    kubectl(['-n', ARGOCD_NS, 'patch', 'applications.argoproj.io', root, '--type=merge', '-p', JSON.stringify({ operation })]);
    const stoppedAtSecrets = () => {
      const op = app(root).status?.operationState as (NonNullable<AppJson['status']>['operationState'] & { retryCount?: number }) | undefined;
      const r = op?.syncResult?.resources?.find((x) => x.kind === 'Application' && x.name === secretsApp);
      return r && r.message?.includes(es.name) ? { retries: op?.retryCount ?? 0, text: `${op?.phase} (${op?.message}): ${secretsApp}: ${r.message}` } : undefined;
    };
    await until(`${root} to stop at ${secretsApp}, naming ${es.name}`, () => !!stoppedAtSecrets(), 5 * MIN, 2000);
    log(`  ${root}: ${stoppedAtSecrets()!.text}`);
    kubectl(['-n', ARGOCD_NS, 'delete', 'applications.argoproj.io', victim.name, '--wait=true', '--timeout=300s']);
    const retriesAtDelete = stoppedAtSecrets()?.retries ?? 0;
    log(`  deleted ${victim.name} (wave ${victim.wave}) after ${retriesAtDelete} retries; waiting for the next retry`);
    await until(`${root} to retry and stop at ${secretsApp} again`, () => (stoppedAtSecrets()?.retries ?? 0) > retriesAtDelete, 5 * MIN, 2000);
    log(`  ${root}: ${stoppedAtSecrets()!.text}`);
    expect(applications().some((x) => x.name === victim.name)).toBe(false);
    const created = namespaces.flatMap((ns) =>
      kubectlJson<{ items: { metadata: { name: string; creationTimestamp: string } }[] }>(['-n', ns, 'get', 'pods']).items.filter((p) => Date.parse(p.metadata.creationTimestamp) >= removedAt - 1000).map((p) => `${ns}/${p.metadata.name}`),
    );
    expect(created).toEqual([]);
  } finally {
    const back = await sm('CreateSecret', { Name: key, SecretString: String(saved.json.SecretString) });
    if (back.status !== 200) log(`  could not put ${key} back: HTTP ${back.status} ${JSON.stringify(back.json)}`);
    forceSync();
  }
  // The fix: the secret is back, the wave turns Healthy and the app of apps goes on by itself (its retry).
  await until(`${secretsApp} Healthy again`, () => app(secretsApp).status?.health?.status === 'Healthy', 3 * MIN, 2000);
  await until(`every Application Synced + Healthy again (${victim.name} re-created)`, () => expectedApplications(env).filter((e) => e.group !== 'logging').every((e) => applications().some((x) => x.name === e.name && settled(x))), 10 * MIN, 3000);
}
