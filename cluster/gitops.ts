import * as fs from 'node:fs';
import * as path from 'node:path';
import { APP_GROUPS, type EnvironmentConfig } from '../manifests-src/config';
import { PROJECT_ROOT } from '../local/stack';
import { normalizeReference } from './images/references';
import { apply, kubectl, kubectlJson } from './node/kubectl';
import { waitFor } from './node/daemon';
import { kubernetesManifests } from '../infra/assembly/cdk-out';
import { stackTemplate } from '../local/stack-template';

/**
 * Argo CD pointed at the committed argocd/<env> (app of apps): the repository URL in it is the configured
 * CodeCommit URL, unchanged; inside the cluster that name resolves to the local git front door, whose
 * certificate Argo CD trusts through argocd-tls-certs-cm (set by the operators' install).
 */

export const ARGOCD_NS = 'argocd';

/**
 * What the stack's kubectl handler applies once Argo CD runs, read from the synthesized template: the GitOps
 * repository credentials (an ExternalSecret) and the root Application, in the template's dependency order. Before
 * the next manifest, each ExternalSecret's Secret must exist, as the stack orders them (the root's first sync reads
 * the repository with it). Returns the objects applied, as kind/namespace/name.
 */
export async function applyStackManifests(env: EnvironmentConfig): Promise<string[]> {
  const template = stackTemplate(env);
  const manifests = kubernetesManifests(template);
  const dependsOn = (id: string) => [template.Resources[id].DependsOn ?? []].flat();
  const ordered: typeof manifests = [];
  const pending = [...manifests];
  while (pending.length) {
    const i = pending.findIndex((m) => dependsOn(m.logicalId).every((d) => !pending.some((p) => p.logicalId === d)));
    if (i < 0) throw new Error(`the stack's Kubernetes manifests depend on each other in a cycle: ${pending.map((p) => p.logicalId).join(', ')}`);
    ordered.push(...pending.splice(i, 1));
  }
  const applied: string[] = [];
  for (const m of ordered) {
    apply(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: m.objects }));
    for (const o of m.objects) {
      applied.push(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
      if (o.kind !== 'ExternalSecret') continue;
      const target = o.spec.target?.name ?? o.metadata.name;
      await waitFor(`Secret ${o.metadata.namespace}/${target} from the stack's ExternalSecret`, () => kubectl(['-n', o.metadata.namespace, 'get', 'secret', target, '--ignore-not-found', '-o', 'name']).trim() !== '', 120_000);
    }
  }
  return applied;
}

export interface AppState {
  readonly name: string;
  readonly sync: string;
  readonly health: string;
  readonly operation: string;
  readonly message: string;
  readonly revision: string;
}

/**
 * Every Application and its state. A failed read throws (naming kubectl's error): read as "no Applications", it
 * would let a check like "nothing went OutOfSync" pass on an API server that did not answer.
 */
export function applications(): AppState[] {
  type Resource = { kind: string; name: string; health?: { status?: string } };
  const items = kubectlJson<{ items: { metadata: { name: string }; status?: { sync?: { status?: string; revision?: string }; health?: { status?: string }; operationState?: { phase?: string; message?: string }; resources?: Resource[] } }[] }>(['-n', ARGOCD_NS, 'get', 'applications.argoproj.io']).items;
  return items.map((a) => ({
    name: a.metadata.name,
    sync: a.status?.sync?.status ?? '',
    health: a.status?.health?.status ?? '',
    operation: a.status?.operationState?.phase ?? '',
    message: a.status?.operationState?.message ?? '',
    revision: a.status?.sync?.revision ?? '',
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

/**
 * The Application is Progressing only because its pods wait for one of these images (which cannot be built
 * here): every pod of its namespace is Ready or waiting to pull one of them, and at least one waits. Argo CD 3
 * keeps per-resource health out of the Application's status, so the pods are asked.
 */
export function onlyWaitingForImages(app: AppState, images: readonly string[]): boolean {
  if (app.health !== 'Progressing' || images.length === 0) return false;
  const ns = kubectlJson<{ spec: { destination: { namespace?: string } } }>(['-n', ARGOCD_NS, 'get', 'applications.argoproj.io', app.name]).spec.destination.namespace;
  type P = { status: { conditions?: { type: string; status: string }[]; containerStatuses?: { image: string; state?: { waiting?: { reason?: string } } }[] } };
  const pods = kubectlJson<{ items: P[] }>(['-n', ns ?? 'default', 'get', 'pods']).items;
  const waiting = (p: P) => (p.status.containerStatuses ?? []).some((c) => images.includes(normalizeReference(c.image)) && /ErrImageNeverPull|ImagePullBackOff|ErrImagePull/.test(c.state?.waiting?.reason ?? ''));
  const ready = (p: P) => !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  return pods.some(waiting) && pods.every((p) => ready(p) || waiting(p));
}

/** Synced and Healthy, or Synced and only waiting for an image that cannot be built here (`missingImages`). */
export function settled(a: AppState, missingImages: readonly string[] = []): boolean {
  return a.sync === 'Synced' && (a.health === 'Healthy' || onlyWaitingForImages(a, missingImages));
}

export function allSettled(env: EnvironmentConfig, missingImages: readonly string[] = []): boolean {
  const apps = applications();
  const want = expectedApplications(env).map((a) => a.name);
  return want.length > 0 && want.every((n) => apps.some((a) => a.name === n && settled(a, missingImages)));
}

/**
 * Ends an Application's running sync the way `argocd app terminate-op` does: its operation state turns
 * Terminating, the controller deletes the hooks still running and ends the operation without a retry. Returns
 * whether a sync was still running (false: nothing left to end). (Clearing `.operation` instead leaves a sync that waits for its retry to go on
 * retrying its old revision.)
 */
export function terminateOperation(name: string): boolean {
  if (applications().find((a) => a.name === name)?.operation !== 'Running') return false;
  kubectl(['-n', ARGOCD_NS, 'patch', 'applications.argoproj.io', name, '--type=merge', '-p', JSON.stringify({ status: { operationState: { phase: 'Terminating' } } })]);
  return true;
}

/** Asks Argo CD to re-read git now instead of at its next poll. */
export function refresh(name: string): void {
  kubectl(['-n', ARGOCD_NS, 'annotate', 'applications.argoproj.io', name, 'argocd.argoproj.io/refresh=normal', '--overwrite']);
}
