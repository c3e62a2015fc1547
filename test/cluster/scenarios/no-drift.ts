import { rootAppName } from '../../../manifests-src/gitops/argocd-settings';
import { ARGOCD_NS, expectedApplications } from '../../../cluster/gitops';
import { kubectlJson } from '../../../cluster/node/kubectl';
import type { ScenarioContext } from './context';

/**
 * Issue 22 item 1 on the running cluster: after their syncs, no Application of the environment (the app of apps and
 * every child) holds an object Argo CD compares as OutOfSync. The ExternalSecrets are the case in point: their CRD
 * writes defaults (`conversionStrategy`, `decodingStrategy`, `metadataPolicy`) into lists server-side apply treats
 * as atomic; the live objects and their comparison are logged.
 */

interface AppJson {
  metadata: { name: string; annotations?: Record<string, string> };
  status?: { sync?: { status?: string }; resources?: { kind: string; namespace?: string; name: string; status?: string }[] };
}

export function outOfSyncResources(ctx: ScenarioContext): string[] {
  const { env, log } = ctx;
  const names = [rootAppName(env), ...expectedApplications(env).map((a) => a.name)];
  const apps = kubectlJson<{ items: AppJson[] }>(['-n', ARGOCD_NS, 'get', 'applications.argoproj.io']).items.filter((a) => names.includes(a.metadata.name));
  const missing = names.filter((n) => !apps.some((a) => a.metadata.name === n));
  if (missing.length) throw new Error(`Applications not found: ${missing.join(', ')}`);
  const drift: string[] = [];
  for (const a of apps) {
    const resources = a.status?.resources ?? [];
    const compare = a.metadata.annotations?.['argocd.argoproj.io/compare-options'] ?? 'client-side diff';
    log(`  ${a.metadata.name} (${compare}): ${a.status?.sync?.status}, ${resources.length} objects, ${resources.filter((r) => r.status === 'OutOfSync').length} OutOfSync`);
    for (const r of resources) {
      if (r.kind === 'ExternalSecret') log(`    ${r.kind} ${r.namespace}/${r.name}: ${r.status}`);
      if (r.status === 'OutOfSync') drift.push(`${a.metadata.name}: ${r.kind} ${r.namespace ?? ''}/${r.name}`);
    }
  }
  const es = kubectlJson<{ items: { metadata: { name: string }; spec: { dataFrom?: { extract?: Record<string, string> }[] } }[] }>(['-n', env.namespace, 'get', 'externalsecrets.external-secrets.io']).items;
  for (const e of es) log(`    live ${e.metadata.name} dataFrom: ${JSON.stringify(e.spec.dataFrom ?? [])}`);
  return drift;
}
