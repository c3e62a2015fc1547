import { createHash } from 'node:crypto';
import { k8s } from 'cdk8s-plus-33';
import type { Resources } from '../config';
import { EXEC_PROBE_FAILURES, EXEC_PROBE_PERIOD_SECONDS, EXEC_PROBE_TIMEOUT_SECONDS } from './exec-probe-timing';

/** Standard labels; `app.kubernetes.io/name` + `component` select a workload's pods. */
export function labelsFor(name: string, component: string, partOf = 'airflow'): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': partOf,
    'app.kubernetes.io/managed-by': 'airflow-eks',
  };
}

export function selectorFor(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name };
}

/** Requests and limits: memory limit = request unless set (no OOM surprises from overcommit); CPU limit 2x. */
export function resourceRequirements(r: Resources): k8s.ResourceRequirements {
  const cpuLimit = r.cpuLimit ?? doubleCpu(r.cpu);
  return {
    requests: { cpu: k8s.Quantity.fromString(r.cpu), memory: k8s.Quantity.fromString(r.memory) },
    limits: { cpu: k8s.Quantity.fromString(cpuLimit), memory: k8s.Quantity.fromString(r.memoryLimit ?? r.memory) },
  };
}

function doubleCpu(cpu: string): string {
  return cpu.endsWith('m') ? `${parseInt(cpu, 10) * 2}m` : String(parseFloat(cpu) * 2);
}

/** Container hardening: non-root, no escalation, no capabilities, read-only root FS. */
export function containerSecurityContext(opts: { readOnlyRootFilesystem?: boolean; runAsUser?: number } = {}): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: opts.readOnlyRootFilesystem ?? true,
    runAsNonRoot: true,
    ...(opts.runAsUser !== undefined ? { runAsUser: opts.runAsUser } : {}),
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Pod hardening; `fsGroup` makes mounted secrets and emptyDirs readable by the non-root user. */
export function podSecurityContext(uid: number, gid = 0): k8s.PodSecurityContext {
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: gid, fsGroup: gid, seccompProfile: { type: 'RuntimeDefault' } };
}

/** Spread replicas over zones (hard: an AZ loss must not take every replica) and over nodes (soft). */
export function topologySpread(selector: Record<string, string>): k8s.TopologySpreadConstraint[] {
  return [
    { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: selector } },
    { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } },
  ];
}

/** Node placement by Karpenter NodePool label. */
export const NODE_POOL_LABEL = 'airflow-eks/pool';
/** `core`: on-demand for the control components; `workers`: spot allowed; `long-workers`: on-demand workers for long tasks. */
export type NodePoolRole = 'core' | 'workers' | 'long-workers';
/** Worker pools are tainted so only workers land there. */
export const isWorkerPool = (pool: NodePoolRole) => pool !== 'core';
export function placement(pool: NodePoolRole): { nodeSelector: Record<string, string>; tolerations?: k8s.Toleration[] } {
  const nodeSelector = { [NODE_POOL_LABEL]: pool, 'kubernetes.io/arch': 'arm64' };
  if (isWorkerPool(pool)) return { nodeSelector, tolerations: [{ key: NODE_POOL_LABEL, operator: 'Equal', value: pool, effect: 'NoSchedule' }] };
  return { nodeSelector };
}

/** Probe timings: generous start-up (Airflow imports are slow), quick readiness, patient liveness. */
export interface ProbeSet {
  readonly startupProbe: k8s.Probe;
  readonly readinessProbe?: k8s.Probe;
  readonly livenessProbe: k8s.Probe;
}

export function httpProbes(path: string, port: number, opts: { startupSeconds?: number } = {}): ProbeSet {
  const httpGet = { path, port: k8s.IntOrString.fromNumber(port) };
  const startup = opts.startupSeconds ?? 300;
  return {
    startupProbe: { httpGet, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: Math.ceil(startup / 10) },
    // The health endpoints read the metadata database; in a task burst a CPU-limited pod answers late while it
    // still serves (5 s was missed once on the local cluster). Readiness cuts the Task Execution API off every
    // worker when the only replica drops out, so it waits as long as liveness does per attempt.
    readinessProbe: { httpGet, periodSeconds: 10, timeoutSeconds: 10, failureThreshold: 3 },
    livenessProbe: { httpGet, periodSeconds: 30, timeoutSeconds: 10, failureThreshold: 5 },
  };
}

/**
 * Exec probes for components without an HTTP health endpoint (Airflow 3.3 has one only in the scheduler and
 * the api-server). Timings come from measurement (exec-probe-timing.ts). No readiness probe: these pods serve
 * no Service traffic that readiness would gate, and each run of the command costs seconds of CPU.
 */
export function execProbes(
  command: string[],
  opts: { periodSeconds?: number; timeoutSeconds?: number; startupSeconds?: number; firstProbeAfterSeconds?: number } = {},
): ProbeSet {
  const exec = { command };
  const period = opts.periodSeconds ?? EXEC_PROBE_PERIOD_SECONDS;
  const timeout = opts.timeoutSeconds ?? EXEC_PROBE_TIMEOUT_SECONDS;
  const startup = opts.startupSeconds ?? 300;
  // Start-up polls faster than liveness (a probe is never run twice at once) but at least once per timeout.
  const startupPeriod = Math.max(15, Math.min(timeout, 30));
  // A probe run at the container's start competes with the program's own start for the CPU limit and fails:
  // `firstProbeAfterSeconds` (the measured start) holds the first one back.
  const delay = opts.firstProbeAfterSeconds ? { initialDelaySeconds: opts.firstProbeAfterSeconds } : {};
  return {
    startupProbe: { exec, ...delay, periodSeconds: startupPeriod, timeoutSeconds: timeout, failureThreshold: Math.ceil(startup / startupPeriod) },
    livenessProbe: { exec, periodSeconds: period, timeoutSeconds: timeout, failureThreshold: EXEC_PROBE_FAILURES },
  };
}

export function tcpProbes(port: number): ProbeSet {
  const tcpSocket = { port: k8s.IntOrString.fromNumber(port) };
  return {
    startupProbe: { tcpSocket, periodSeconds: 5, failureThreshold: 24 },
    readinessProbe: { tcpSocket, periodSeconds: 10, failureThreshold: 3 },
    livenessProbe: { tcpSocket, periodSeconds: 20, failureThreshold: 3 },
  };
}

/** Pod-template annotation value that changes when a rendered config changes, so pods roll. */
export function contentChecksum(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}
