import type { EnvironmentConfig } from '../config';
import { COMPONENTS, POD_IDENTITY_AGENT_CIDRS, PORTS, subnetCidrs, type ComponentFlow, type ComponentName, type ComponentSpec, type ExternalPeer } from '../config';

/**
 * The flows Airflow needs, as data derived from the component registry (contract.ts): the NetworkPolicies are
 * generated from this table (behind a default deny), and tests check the generated policies against it.
 * Anything not listed is refused.
 */

/** Pods of the Airflow namespace, by their `app.kubernetes.io/name`. */
export const POD_PEERS = Object.fromEntries(Object.entries(COMPONENTS).map(([k, c]) => [k, c.workload])) as { readonly [K in ComponentName]: (typeof COMPONENTS)[K]['workload'] };
export type PodPeer = ComponentName;
export type { ExternalPeer };
export type Peer = PodPeer | ExternalPeer;

export interface Flow {
  readonly from: Peer;
  readonly to: Peer;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
  /** Why the flow exists. */
  readonly why: string;
}

const spec = (pod: PodPeer): ComponentSpec<PodPeer> => COMPONENTS[pod];
const PODS = Object.keys(COMPONENTS) as PodPeer[];

/** The service account of each pod kind. */
export const POD_SERVICE_ACCOUNTS: Record<PodPeer, string> = Object.fromEntries(PODS.map((p) => [p, spec(p).serviceAccount])) as Record<PodPeer, string>;

/** Pods whose service account has a Pod Identity association: they fetch AWS credentials from the agent. */
export function usesAws(pod: PodPeer): boolean {
  return spec(pod).aws;
}

export function allowedFlows(env: Pick<EnvironmentConfig, 'pgbouncer' | 'dags'>): Flow[] {
  const port = (p: ComponentFlow['port']) => (p === 'pgbouncer.port' ? env.pgbouncer.port : p);
  const flow = (from: Peer, to: Peer, f: ComponentFlow<PodPeer>): Flow => ({ from, to, port: port(f.port), protocol: f.protocol ?? 'TCP', why: f.why });
  const flows: Flow[] = [];
  for (const pod of PODS) {
    flows.push({ from: pod, to: 'kube-dns', port: 53, protocol: 'UDP', why: 'name resolution' }, { from: pod, to: 'kube-dns', port: 53, protocol: 'TCP', why: 'name resolution (large answers)' });
  }
  for (const pod of PODS) {
    const c = spec(pod);
    flows.push(...c.connectsTo.map((f) => flow(pod, f.peer, f)));
    if (c.aws) flows.push({ from: pod, to: 'pod-identity-agent', port: PORTS.podIdentityAgent, protocol: 'TCP', why: 'AWS credentials (EKS Pod Identity)' });
    if (c.clonesDags && env.dags.auth === 'ssh') flows.push({ from: pod, to: 'git-ssh', port: 22, protocol: 'TCP', why: 'DAG bundle clone over SSH' });
    flows.push(...(c.acceptsFrom ?? []).map((f) => flow(f.peer, pod, f)));
  }
  return flows;
}

/**
 * Peers NetworkPolicies can only name by address range, as narrow as the config allows: Aurora and
 * ElastiCache live in the private subnets, the ALB in the private (internal) or public (internet-facing)
 * ones. Policies cannot tell Aurora from ElastiCache inside a subnet: the ports and the security groups
 * infra/ creates make that distinction.
 */
export function ipRangesOf(env: Pick<EnvironmentConfig, 'infra' | 'cluster' | 'ingress'>, p: Peer): readonly string[] | undefined {
  switch (p) {
    case 'load-balancer':
      return subnetCidrs(env, env.ingress.scheme === 'internal' ? 'private' : 'public');
    case 'aurora':
    case 'elasticache':
      return subnetCidrs(env, 'private');
    case 'pod-identity-agent':
      return POD_IDENTITY_AGENT_CIDRS;
    case 'aws-apis-and-git':
    case 'git-ssh':
      return ['0.0.0.0/0'];
    default:
      return undefined;
  }
}
