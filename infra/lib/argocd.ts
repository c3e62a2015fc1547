import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../manifests-src/config';
import { rootApplication } from '../../manifests-src/gitops/root-application';
import { readyConditionHealthChecks } from './argocd-health';
import { CHARTS, chartImages, imageRepository } from './charts';
import { GitOpsCredentials } from './gitops-credentials';
import { HelmAddOn, onSystemNodes } from './helm-addon';

export interface ArgoCdProps {
  readonly env: EnvironmentConfig;
  readonly cluster: eks.ICluster;
  /** Release the repository credentials need (External Secrets: its CRDs and webhook). */
  readonly externalSecrets: Construct;
}

/** Pure: Argo CD chart values (no Dex: UI access is through port-forward or SSO configured later). */
export function argoCdValues(env: EnvironmentConfig): Record<string, unknown> {
  const [argocd, redis] = chartImages(CHARTS.argocd).map((i, n) => ({ repository: imageRepository(env, CHARTS.argocd.images[n]), tag: i.tag }));
  return {
    global: { image: argocd, ...onSystemNodes },
    dex: { enabled: false },
    redis: { image: redis },
    configs: { params: { 'server.insecure': false, ...ARGOCD_PARAMS }, cm: { [APPLICATION_HEALTH_KEY]: APPLICATION_HEALTH_LUA, ...readyConditionHealthChecks() } },
  };
}

/**
 * argocd-cmd-params-cm entries. Each resource's health is kept in its Application (Argo CD 3 keeps it only in its
 * cache by default): `kubectl get application` then shows which object is unhealthy and why, and the Application
 * health check below can name it. Our Applications hold tens of objects, so the extra writes are small.
 */
export const ARGOCD_PARAMS = { 'controller.resource.health.persist': true } as const;

/** argocd-cm key of the health check for Application objects (group argoproj.io, kind Application). */
export const APPLICATION_HEALTH_KEY = 'resource.customizations.health.argoproj.io_Application';

/**
 * Argo CD 1.8+ reports every child Application as Healthy at once, so sync waves between the Applications of the
 * app of apps (platform -> secrets -> pgbouncer -> airflow -> logging) would not wait. This check makes a child's
 * health its own, as Argo CD's docs suggest, and one step stricter: a Healthy child counts as Healthy only once its
 * last sync has finished well. Health alone is not enough, because a child whose first sync failed part-way (and is
 * retrying) can already be Healthy on the objects it did apply; the next wave would then start before it.
 *
 * "Finished well" is Synced. A child that stays OutOfSync after a sync that Succeeded at the compared revision (a
 * default the diff cannot see, a field another controller writes) holds the later waves, but not silently: its
 * message names each OutOfSync object. Counting it Healthy was tried: right after a sync finishes, the child can show
 * a Healthy it computed before its new objects existed, OutOfSync beside it, and the next wave started early (seen
 * on the local cluster: logging before Airflow's pods). Server-side diff, sync-policy.ts, keeps CRD defaults from
 * being drift in the first place.
 *
 * A child that is not Healthy passes its health through, naming the first object in that state and its message
 * (resource health is kept in the Application, `controller.resource.health.persist`), so the parent's sync says why
 * it stopped: "ExternalSecret airflow-broker: SecretSyncedError: ...".
 */
export const APPLICATION_HEALTH_LUA = [
  'hs = {}',
  'hs.status = "Progressing"',
  'hs.message = ""',
  'if obj.status == nil then',
  '  return hs',
  'end',
  'if obj.status.health ~= nil then',
  '  hs.status = obj.status.health.status',
  '  if obj.status.health.message ~= nil then',
  '    hs.message = obj.status.health.message',
  '  end',
  'end',
  'if hs.status ~= "Healthy" then',
  '  for _, r in ipairs(obj.status.resources or {}) do',
  '    if r.health ~= nil and r.health.status == hs.status and r.health.message ~= nil and r.health.message ~= "" then',
  '      hs.message = r.kind .. " " .. r.name .. ": " .. r.health.message',
  '      break',
  '    end',
  '  end',
  '  return hs',
  'end',
  'local op = obj.status.operationState',
  'local sync = obj.status.sync',
  'if op ~= nil and op.phase == "Running" then',
  '  hs.status = "Progressing"',
  '  hs.message = "sync running"',
  'elseif sync ~= nil and sync.status == "Synced" then',
  '  return hs',
  'elseif op ~= nil and op.phase == "Succeeded" and op.syncResult ~= nil and sync ~= nil and sync.revision ~= nil and op.syncResult.revision == sync.revision then',
  '  hs.status = "Progressing"',
  '  hs.message = "synced " .. sync.revision .. " but OutOfSync (drift):"',
  '  for _, r in ipairs(obj.status.resources or {}) do',
  '    if r.status == "OutOfSync" then',
  '      hs.message = hs.message .. " " .. r.kind .. " " .. r.name',
  '    end',
  '  end',
  'else',
  '  hs.status = "Progressing"',
  '  hs.message = "healthy but not synced yet"',
  '  if op ~= nil and op.message ~= nil then',
  '    hs.message = hs.message .. ": " .. op.message',
  '  end',
  'end',
  'return hs',
  '',
].join('\n');

/** Argo CD and the one Application CDK creates; everything else in the cluster comes from git. */
export class ArgoCd extends Construct {
  readonly release: HelmAddOn;
  constructor(scope: Construct, id: string, props: ArgoCdProps) {
    super(scope, id);
    this.release = new HelmAddOn(this, 'Chart', { env: props.env, cluster: props.cluster, chart: 'argocd', values: argoCdValues(props.env) });
    // Repository credentials before the root Application, so its first sync can read the repository.
    const credentials = new GitOpsCredentials(this, 'GitOpsCredentials', { env: props.env, cluster: props.cluster });
    credentials.manifest?.node.addDependency(this.release, props.externalSecrets);
    // The very object committed as argocd/<env>/root.yaml (one generator): it syncs argocd/<env>/apps, which
    // does not hold root.yaml, so Argo CD never rewrites or prunes the Application that bootstraps it.
    const root = props.cluster.addManifest('RootApplication', { ...rootApplication(props.env) });
    root.node.addDependency(this.release, ...(credentials.manifest ? [credentials.manifest] : []));
  }
}
