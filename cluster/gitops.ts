import * as fs from 'node:fs';
import * as path from 'node:path';
import { APP_GROUPS, type EnvironmentConfig } from '../manifests-src/config';
import { PROJECT_ROOT } from '../local/stack';
import { sh } from './node/daemon';
import { kubectl } from './node/kubectl';
import { KUBECONFIG, kubeBin } from './node/layout';

/**
 * Argo CD pointed at the committed argocd/<env> (app of apps): the repository URL in it is the configured
 * CodeCommit URL, unchanged; inside the cluster that name resolves to the local git front door, whose
 * certificate Argo CD trusts through argocd-tls-certs-cm (set by the operators' install).
 */

export const ARGOCD_NS = 'argocd';

export function applyRoot(env: EnvironmentConfig): void {
  kubectl(['apply', '-f', path.join(PROJECT_ROOT, 'argocd', env.name, 'root.yaml')]);
}

export interface AppState {
  readonly name: string;
  readonly sync: string;
  readonly health: string;
  readonly operation: string;
  readonly message: string;
  readonly revision: string;
  /** Resources whose health is not Healthy, as kind/name=status. */
  readonly unhealthy: string[];
}

/**
 * Healthy, or Progressing only because of Ingresses: Argo CD calls an Ingress Healthy once a load
 * balancer controller publishes its address, and the AWS Load Balancer Controller cannot run here.
 */
export function healthyButForLoadBalancer(a: AppState): boolean {
  return a.health === 'Healthy' || (a.health === 'Progressing' && a.unhealthy.length > 0 && a.unhealthy.every((r) => r.startsWith('Ingress/') && r.endsWith('=Progressing')));
}

export function applications(): AppState[] {
  const out = sh(kubeBin('kubectl'), [`--kubeconfig=${KUBECONFIG}`, '-n', ARGOCD_NS, 'get', 'applications.argoproj.io', '-o', 'json'], { allowFail: true });
  if (!out) return [];
  type Resource = { kind: string; name: string; health?: { status?: string } };
  const items = (JSON.parse(out) as { items: { metadata: { name: string }; status?: { sync?: { status?: string; revision?: string }; health?: { status?: string }; operationState?: { phase?: string; message?: string }; resources?: Resource[] } }[] }).items;
  return items.map((a) => ({
    name: a.metadata.name,
    sync: a.status?.sync?.status ?? '',
    health: a.status?.health?.status ?? '',
    operation: a.status?.operationState?.phase ?? '',
    message: a.status?.operationState?.message ?? '',
    revision: a.status?.sync?.revision ?? '',
    unhealthy: (a.status?.resources ?? []).filter((r) => r.health?.status && r.health.status !== 'Healthy').map((r) => `${r.kind}/${r.name}=${r.health!.status}`),
  }));
}

/** The Application name of each dist/ folder: what argocd/<env>/apps declares, read from the committed YAML. */
export function expectedApplications(env: EnvironmentConfig): { name: string; wave: number; group: string }[] {
  const dir = path.join(PROJECT_ROOT, 'argocd', env.name, 'apps');
  const out: { name: string; wave: number; group: string }[] = [];
  for (const f of fs.readdirSync(dir)) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    if (!/kind: Application\b/.test(text)) continue;
    const name = /\n {2}name: (\S+)/.exec(text)?.[1];
    const wave = Number(/argocd\.argoproj\.io\/sync-wave: "?(-?\d+)"?/.exec(text)?.[1] ?? 0);
    const group = APP_GROUPS.find((g) => text.includes(`path: dist/${env.name}/${g.name}`))?.name ?? f.replace(/\.yaml$/, '');
    if (name) out.push({ name, wave, group });
  }
  return out;
}

export function allSyncedHealthy(env: EnvironmentConfig): boolean {
  const apps = applications();
  const want = [...expectedApplications(env).map((a) => a.name)];
  return want.length > 0 && want.every((n) => apps.some((a) => a.name === n && a.sync === 'Synced' && healthyButForLoadBalancer(a)));
}

/** Asks Argo CD to re-read git now instead of at its next poll. */
export function refresh(name: string): void {
  kubectl(['-n', ARGOCD_NS, 'annotate', 'applications.argoproj.io', name, 'argocd.argoproj.io/refresh=normal', '--overwrite']);
}
