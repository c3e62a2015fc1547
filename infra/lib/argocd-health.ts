/**
 * Health checks Argo CD gets in argocd-cm for the custom resources a sync wave waits on. Argo CD counts an object
 * without a health check as having no health at all: a wave holding only such objects is Healthy at once, and the
 * next wave starts whether or not they did their job. Each of these kinds reports a `Ready` condition; its check
 * turns that condition into Argo CD health, so a failure stops the wave and names its reason.
 */

/** Custom resources a later wave depends on, by Argo CD's `<group>_<kind>` key, with what Ready means for each. */
export const READY_CONDITION_KINDS = [
  /** secrets wave: the Kubernetes Secret was written from Secrets Manager (PgBouncer and Airflow pods mount it). */
  { group: 'external-secrets.io', kind: 'ExternalSecret' },
  /** platform wave: the store can authenticate to Secrets Manager (every ExternalSecret reads through it). */
  { group: 'external-secrets.io', kind: 'ClusterSecretStore' },
  /** airflow wave: KEDA can read the queue length (without it the workers never scale out). */
  { group: 'keda.sh', kind: 'ScaledObject' },
] as const;

export const healthCheckKey = (k: { group: string; kind: string }) => `resource.customizations.health.${k.group}_${k.kind}`;

/**
 * Lua (Argo CD's embedded 5.1) for one kind: Ready True is Healthy, Ready False is Degraded with the condition's
 * reason and message, anything else (no status yet, Unknown) is Progressing.
 */
export function readyConditionHealthLua(kind: string): string {
  return [
    `local hs = { status = "Progressing", message = "waiting for the ${kind} to report its Ready condition" }`,
    'if obj.status == nil or obj.status.conditions == nil then',
    '  return hs',
    'end',
    'for _, c in ipairs(obj.status.conditions) do',
    '  if c.type == "Ready" then',
    '    local why = c.message or ""',
    '    if c.reason ~= nil and c.reason ~= "" then',
    '      why = c.reason .. ": " .. why',
    '    end',
    '    if c.status == "True" then',
    '      hs.status = "Healthy"',
    '    elseif c.status == "False" then',
    '      hs.status = "Degraded"',
    '    end',
    '    hs.message = why',
    '    return hs',
    '  end',
    'end',
    'return hs',
    '',
  ].join('\n');
}

/** The argocd-cm entries for READY_CONDITION_KINDS. */
export function readyConditionHealthChecks(): Record<string, string> {
  return Object.fromEntries(READY_CONDITION_KINDS.map((k) => [healthCheckKey(k), readyConditionHealthLua(k.kind)]));
}
