import type { ResourceIgnoreDifferences } from './argo-types';
import { apiGroupOf, type ManifestObject } from './manifest-objects';

/**
 * Fields that a controller in the cluster owns and rewrites: Argo CD must not report them as drift,
 * or self-heal would fight the controller forever (and the UI would show OutOfSync for ever).
 * Each rule says why; a rule is emitted only for kinds the Application actually deploys, except
 * the webhook ones, which protect objects a controller may create or adopt at any time.
 */
interface ControllerOwnedRule {
  readonly group: string;
  readonly kind: string;
  readonly jsonPointers?: string[];
  readonly jqPathExpressions?: string[];
  /** Why the field is not ours (kept next to the rule; the README table repeats it). */
  readonly why: string;
  /** Emit even when the Application renders no object of this kind. */
  readonly always?: boolean;
}

export const CONTROLLER_OWNED_FIELDS: readonly ControllerOwnedRule[] = [
  {
    group: 'admissionregistration.k8s.io',
    kind: 'ValidatingWebhookConfiguration',
    jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle'],
    why: 'KEDA, External Secrets and the AWS Load Balancer Controller inject their own CA into their webhooks at run time',
    always: true,
  },
  {
    group: 'admissionregistration.k8s.io',
    kind: 'MutatingWebhookConfiguration',
    jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle'],
    why: 'same CA injection as the validating webhooks (the ALB controller mutates pods and services)',
    always: true,
  },
  {
    group: 'apiextensions.k8s.io',
    kind: 'CustomResourceDefinition',
    jsonPointers: ['/spec/conversion/webhook/clientConfig/caBundle'],
    why: 'conversion-webhook CA of KEDA and External Secrets CRDs, patched in by the controllers',
    always: true,
  },
  {
    group: 'external-secrets.io',
    kind: 'ExternalSecret',
    jsonPointers: ['/status'],
    why: 'refresh time and sync conditions are written by the External Secrets controller every refresh interval',
  },
  {
    group: 'external-secrets.io',
    kind: 'ClusterSecretStore',
    jsonPointers: ['/status'],
    why: 'store readiness is written by the External Secrets controller',
  },
  {
    group: 'keda.sh',
    kind: 'ScaledObject',
    jsonPointers: ['/status'],
    why: 'KEDA records the HPA it created and the last active time',
  },
];

/**
 * `spec.replicas` of every workload a KEDA ScaledObject scales: KEDA's HPA owns that number. We render
 * no replicas for it, but `kubectl scale` or an HPA write still shows up as a diff under client-side apply.
 */
function scaledTargets(objects: readonly ManifestObject[]): ResourceIgnoreDifferences[] {
  return objects
    .filter((o) => apiGroupOf(o) === 'keda.sh' && o.kind === 'ScaledObject')
    .map((so) => {
      const target = so.spec?.scaleTargetRef ?? {};
      const [group] = String(target.apiVersion ?? 'apps/v1').split('/');
      return {
        group,
        kind: target.kind ?? 'Deployment',
        name: target.name,
        namespace: so.metadata.namespace,
        jsonPointers: ['/spec/replicas'],
      };
    });
}

/** The ignoreDifferences list for an Application that deploys `objects`. */
export function ignoreDifferencesFor(objects: readonly ManifestObject[]): ResourceIgnoreDifferences[] {
  const kinds = new Set(objects.map((o) => `${apiGroupOf(o)}/${o.kind}`));
  const rules = CONTROLLER_OWNED_FIELDS.filter((r) => r.always || kinds.has(`${r.group}/${r.kind}`)).map(
    ({ group, kind, jsonPointers, jqPathExpressions }): ResourceIgnoreDifferences => ({
      group,
      kind,
      ...(jsonPointers ? { jsonPointers } : {}),
      ...(jqPathExpressions ? { jqPathExpressions } : {}),
    }),
  );
  return [...scaledTargets(objects), ...rules];
}
