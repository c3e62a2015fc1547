import { k8s } from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { SERVICE_ACCOUNTS, type EnvironmentConfig } from '../config';
import { METRICS_AGENT } from './fluent-bit';
import { labelsFor } from '../hardening/workload-defaults';
import { allowedFlows, ipRangesOf, POD_PEERS, type ExternalPeer, type Flow, type Peer, type PodPeer } from './network-flows';

export interface AirflowNetworkPoliciesProps {
  readonly env: EnvironmentConfig;
}

const isPod = (p: Peer): p is PodPeer => p in POD_PEERS;
const podSelector = (p: PodPeer) => ({ matchLabels: { 'app.kubernetes.io/name': POD_PEERS[p] } });

/** Where external peers are: address ranges for AWS services, namespaces for cluster add-ons. */
function externalPeers(env: EnvironmentConfig, p: ExternalPeer): k8s.NetworkPolicyPeer[] {
  const ranges = ipRangesOf(env, p);
  if (ranges) return ranges.map((cidr) => ({ ipBlock: { cidr } }));
  // Our metrics agent, and Container Insights' CloudWatch agent for teams that scrape with it.
  if (p === 'metrics-scraper') {
    return [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': SERVICE_ACCOUNTS.fluentBit.namespace } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': METRICS_AGENT } } }, externalSelector(p)];
  }
  return [externalSelector(p)];
}

function externalSelector(p: ExternalPeer): k8s.NetworkPolicyPeer {
  const inNamespace = (name: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } });
  switch (p) {
    case 'kube-dns':
      return { ...inNamespace('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } };
    case 'keda':
      return inNamespace('keda');
    case 'metrics-scraper':
      return inNamespace('amazon-cloudwatch');
    default:
      throw new Error(`no address for peer ${p}`);
  }
}

function peers(env: EnvironmentConfig, p: Peer): k8s.NetworkPolicyPeer[] {
  return isPod(p) ? [{ podSelector: podSelector(p) }] : externalPeers(env, p);
}

const portOf = (f: Flow): k8s.NetworkPolicyPort => ({ port: k8s.IntOrString.fromNumber(f.port), protocol: f.protocol });
const key = (f: Flow, side: 'from' | 'to') => JSON.stringify([f[side], f.port, f.protocol]);

/** Default deny for the namespace, then one ingress and one egress policy per pod kind from the flow table. */
export class AirflowNetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, props: AirflowNetworkPoliciesProps) {
    super(scope, id);
    const { env } = props;
    const ns = env.namespace;
    const flows = allowedFlows(env);
    new k8s.KubeNetworkPolicy(this, 'DefaultDeny', {
      metadata: { name: 'default-deny-all', namespace: ns, labels: labelsFor('default-deny-all', 'network-policy') },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
    for (const pod of Object.keys(POD_PEERS) as PodPeer[]) {
      const name = `${POD_PEERS[pod]}`;
      const ingress = dedupe(flows.filter((f) => f.to === pod), 'from').map((f) => ({ from: peers(env, f.from), ports: [portOf(f)] }));
      const egress = dedupe(flows.filter((f) => f.from === pod), 'to').map((f) => ({ to: peers(env, f.to), ports: [portOf(f)] }));
      new k8s.KubeNetworkPolicy(this, `${pod}`, {
        metadata: { name: `allow-${name}`, namespace: ns, labels: labelsFor(`allow-${name}`, 'network-policy') },
        spec: {
          podSelector: podSelector(pod),
          policyTypes: ['Ingress', 'Egress'],
          ingress,
          egress,
        },
      });
    }
  }
}

function dedupe(flows: Flow[], side: 'from' | 'to'): Flow[] {
  const seen = new Map<string, Flow>();
  for (const f of flows) if (!seen.has(key(f, side))) seen.set(key(f, side), f);
  return [...seen.values()];
}
