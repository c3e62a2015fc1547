import type { EnvironmentConfig } from '../config';

/**
 * How an api-server pod leaves the ALB without a failed request (AWS Load Balancer Controller, IP targets).
 *
 * Coming in: the namespace carries READINESS_GATE_LABEL, so the controller's webhook gives each new pod a readiness
 * gate that turns True only once its target is healthy in the target group; a rollout then waits for the ALB before
 * it stops an old pod.
 *
 * Going out: when a pod starts terminating the controller deregisters its target, and the ALB keeps sending it
 * requests until the deregistration has spread, then lets requests in flight finish for the deregistration delay.
 * The pod keeps serving for that whole delay (a preStop sleep, before the kubelet sends SIGTERM), then gets
 * SHUTDOWN_SECONDS for the server's own graceful stop; the grace period covers both.
 */

/** Namespace label that turns on the controller's readiness-gate injection for pods behind an ALB target group. */
export const READINESS_GATE_LABEL = { 'elbv2.k8s.aws/pod-readiness-gate-inject': 'enabled' } as const;

/** Seconds the api-server gets after SIGTERM to finish the requests it has accepted (uvicorn's graceful stop). */
export const SHUTDOWN_SECONDS = 30;

export interface AlbTargetDraining {
  /** The target group's deregistration_delay.timeout_seconds. */
  readonly deregistrationDelaySeconds: number;
  /** The api-server's preStop sleep: as long as the ALB may still route to the pod. */
  readonly preStopSleepSeconds: number;
  /** The api-server pod's terminationGracePeriodSeconds: the preStop sleep plus the server's own stop. */
  readonly terminationGracePeriodSeconds: number;
}

export function albTargetDraining(env: Pick<EnvironmentConfig, 'ingress'>): AlbTargetDraining {
  const delay = env.ingress.deregistrationDelaySeconds;
  return { deregistrationDelaySeconds: delay, preStopSleepSeconds: delay, terminationGracePeriodSeconds: delay + SHUTDOWN_SECONDS };
}
