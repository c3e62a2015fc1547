import type { K8sObject } from './render';

/** An endpoint as NetworkPolicies see it: a pod (namespace + labels) or a bare IP. */
export interface Endpoint {
  readonly ip: string;
  readonly pod?: { namespace: string; labels: Record<string, string>; namespaceLabels: Record<string, string> };
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((a, o) => (a << 8) + parseInt(o, 10), 0) >>> 0;
}

export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bits] = cidr.split('/');
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return (ipToInt(base) & mask) === (ipToInt(ip) & mask);
}

function labelsMatch(selector: any, labels: Record<string, string>): boolean {
  return Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

function peerMatches(peer: any, policyNs: string, ep: Endpoint): boolean {
  if (peer.ipBlock) {
    return cidrContains(peer.ipBlock.cidr, ep.ip) && !(peer.ipBlock.except ?? []).some((c: string) => cidrContains(c, ep.ip));
  }
  if (!ep.pod) return false;
  const nsOk = peer.namespaceSelector ? labelsMatch(peer.namespaceSelector, ep.pod.namespaceLabels) : ep.pod.namespace === policyNs;
  const podOk = peer.podSelector ? labelsMatch(peer.podSelector, ep.pod.labels) : true;
  return nsOk && podOk;
}

function portMatches(ports: any[] | undefined, port: number, protocol: string): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => (p.protocol ?? 'TCP') === protocol && (p.port === undefined || p.port === port));
}

/** Kubernetes semantics: a direction is open if no policy selects the pod for it, or one selected policy allows. */
function allowedOneSide(policies: K8sObject[], self: Endpoint, other: Endpoint, dir: 'Ingress' | 'Egress', port: number, protocol: string): boolean {
  if (!self.pod) return true;
  const selecting = policies.filter((p) => p.metadata.namespace === self.pod!.namespace && labelsMatch(p.spec.podSelector, self.pod!.labels) && (p.spec.policyTypes ?? ['Ingress']).includes(dir));
  if (selecting.length === 0) return true;
  const rulesKey = dir === 'Ingress' ? 'ingress' : 'egress';
  const peersKey = dir === 'Ingress' ? 'from' : 'to';
  return selecting.some((p) => (p.spec[rulesKey] ?? []).some((r: any) => portMatches(r.ports, port, protocol) && (!r[peersKey] || r[peersKey].some((peer: any) => peerMatches(peer, p.metadata.namespace!, other)))));
}

export function flowAllowed(policies: K8sObject[], from: Endpoint, to: Endpoint, port: number, protocol: 'TCP' | 'UDP'): boolean {
  return allowedOneSide(policies, from, to, 'Egress', port, protocol) && allowedOneSide(policies, to, from, 'Ingress', port, protocol);
}
