import type { K8sObject } from './render';

/** An endpoint as NetworkPolicies see it: a pod (namespace + labels) or a bare IP. */
export interface Endpoint {
  readonly ip: string;
  readonly pod?: { namespace: string; labels: Record<string, string>; namespaceLabels: Record<string, string> };
}

/** An IPv4 or IPv6 address as a number, with its width in bits. */
function ipToBig(ip: string): { value: bigint; width: number } {
  if (!ip.includes(':')) return { value: ip.split('.').reduce((a, o) => (a << 8n) + BigInt(parseInt(o, 10)), 0n), width: 32 };
  const [head, tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return { value: groups.reduce((a, g) => (a << 16n) + BigInt(parseInt(g, 16)), 0n), width: 128 };
}

/** True when the CIDR holds the address; an IPv4 CIDR never holds an IPv6 address and vice versa. */
export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bits] = cidr.split('/');
  const b = ipToBig(base);
  const a = ipToBig(ip);
  if (a.width !== b.width) return false;
  const shift = BigInt(b.width - Number(bits));
  return b.value >> shift === a.value >> shift;
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
