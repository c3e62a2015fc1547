import * as fs from 'node:fs';
import * as path from 'node:path';
import { sh } from './daemon';
import { NET, NODES, statePath, type NodeSpec, type VpcAddresses } from './layout';

/**
 * The node's network: the link to the "VPC" namespace of the managed services, the CNI config of the pod
 * bridge, and the teardown that removes every trace (KUBE-* chains, veths, cni-* namespaces).
 */

const ip = (...args: string[]) => sh('ip', args);
const linkExists = (name: string, netns?: string) => sh('ip', [...(netns ? ['-n', netns] : []), 'link', 'show', name], { allowFail: true }) !== '';

export function setupVpcLink(vpc: VpcAddresses): void {
  sh('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  sh('modprobe', ['br_netfilter'], { allowFail: true });
  sh('sysctl', ['-qw', 'net.bridge.bridge-nf-call-iptables=1']);
  if (!sh('ip', ['netns', 'list']).split('\n').some((l) => l.split(' ')[0] === NET.vpcNetns)) ip('netns', 'add', NET.vpcNetns);
  if (!linkExists(NET.vpcLink)) {
    ip('link', 'add', NET.vpcLink, 'type', 'veth', 'peer', 'name', NET.vpcPeer);
    ip('link', 'set', NET.vpcPeer, 'netns', NET.vpcNetns);
    ip('addr', 'add', `${vpc.node}/${vpc.linkPrefix}`, 'dev', NET.vpcLink);
    ip('link', 'set', NET.vpcLink, 'up');
    ip('-n', NET.vpcNetns, 'addr', 'add', `${vpc.services}/${vpc.linkPrefix}`, 'dev', NET.vpcPeer);
    ip('-n', NET.vpcNetns, 'link', 'set', NET.vpcPeer, 'up');
    ip('-n', NET.vpcNetns, 'link', 'set', 'lo', 'up');
    // Replies to pods go back through the node, as VPC routing returns them to the node's ENI.
    ip('-n', NET.vpcNetns, 'route', 'add', 'default', 'via', vpc.node);
  }
}

export const CNI_BIN_DIR = '/usr/lib/cni';
const CNI_DATA_DIR = statePath('cni', 'networks');

/**
 * CNI bridge + host-local IPAM, one bridge per node; no masquerade, so the managed services and the other node's
 * pods see pod addresses (as security groups and NetworkPolicies do). The bridges meet in the machine's routing.
 */
export function writeCniConfig(node: NodeSpec): void {
  fs.mkdirSync(node.cniConfDir, { recursive: true });
  const conf = {
    cniVersion: '0.4.0',
    name: 'airflow-eks',
    plugins: [
      {
        type: 'bridge',
        bridge: node.bridge,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: { type: 'host-local', dataDir: CNI_DATA_DIR, ranges: [[{ subnet: node.podCidr, gateway: node.podGateway }]], routes: [{ dst: '0.0.0.0/0' }] },
      },
      { type: 'loopback' },
    ],
  };
  fs.writeFileSync(path.join(node.cniConfDir, '10-airflow-eks.conflist'), JSON.stringify(conf, null, 2));
}

/** Removes every KUBE-* chain (and the jumps to it) from iptables and ip6tables: what the kubelet and kube-proxy leave. */
export function removeKubeChains(): void {
  for (const bin of ['iptables', 'ip6tables']) {
    for (const table of ['filter', 'nat', 'mangle', 'raw']) {
      const rules = sh(bin, ['-t', table, '-S'], { allowFail: true }).split('\n');
      for (const r of rules) {
        const m = /^-A (\S+) (.*-j KUBE-\S+.*)$/.exec(r);
        if (m && !m[1].startsWith('KUBE-')) sh(bin, ['-t', table, '-D', m[1], ...splitRule(m[2])], { allowFail: true });
      }
      const chains = rules.filter((r) => r.startsWith('-N KUBE-')).map((r) => r.slice(3));
      for (const c of chains) sh(bin, ['-t', table, '-F', c], { allowFail: true });
      for (const c of chains) sh(bin, ['-t', table, '-X', c], { allowFail: true });
    }
  }
}

/** iptables -S quotes comments: split like a shell would. */
function splitRule(rule: string): string[] {
  return (rule.match(/"[^"]*"|\S+/g) ?? []).map((t) => t.replace(/^"|"$/g, ''));
}

export function kubeChainsLeft(): string[] {
  const out: string[] = [];
  for (const bin of ['iptables', 'ip6tables']) for (const table of ['filter', 'nat', 'mangle', 'raw']) {
    for (const r of sh(bin, ['-t', table, '-S'], { allowFail: true }).split('\n')) if (r.startsWith('-N KUBE-')) out.push(`${bin} -t ${table} ${r.slice(3)}`);
  }
  return out;
}

/** Network namespaces the CRI created for our pods: cni-* whose eth0 sits in one of our nodes' pod subnets. */
export function ourPodNetns(): string[] {
  const prefixes = NODES.map((n) => n.podCidr.split('.').slice(0, 3).join('.') + '.');
  return sh('ip', ['netns', 'list'], { allowFail: true })
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith('cni-'))
    .filter((n) => {
      const addrs = sh('ip', ['-n', n, '-4', '-o', 'addr', 'show'], { allowFail: true });
      return prefixes.some((p) => addrs.includes(` ${p}`));
    });
}

/** Veths enslaved to our pod bridges. */
export function ourVeths(): string[] {
  return NODES.flatMap((n) =>
    sh('ip', ['-o', 'link', 'show', 'master', n.bridge], { allowFail: true })
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(':')[1].trim().split('@')[0]),
  );
}

export function ourLinks(): string[] {
  return sh('ip', ['-o', 'link', 'show'], { allowFail: true })
    .split('\n')
    .map((l) => (l.split(':')[1] ?? '').trim().split('@')[0])
    .filter((n) => n.startsWith(`${NET.prefix}-`));
}

export function nftTablesLeft(): string[] {
  return sh('nft', ['list', 'tables'], { allowFail: true }).split('\n').filter((t) => t.includes('kube-network-policies'));
}

export function teardownNetwork(): void {
  for (const n of ourPodNetns()) sh('ip', ['netns', 'delete', n], { allowFail: true });
  for (const v of ourVeths()) sh('ip', ['link', 'delete', v], { allowFail: true });
  for (const n of NODES) if (linkExists(n.bridge)) sh('ip', ['link', 'delete', n.bridge], { allowFail: true });
  if (linkExists(NET.vpcLink)) sh('ip', ['link', 'delete', NET.vpcLink], { allowFail: true });
  sh('ip', ['netns', 'delete', NET.vpcNetns], { allowFail: true });
  for (const t of nftTablesLeft()) sh('nft', ['delete', 'table', ...t.replace(/^table /, '').split(' ')], { allowFail: true });
  removeKubeChains();
  fs.rmSync(CNI_DATA_DIR, { recursive: true, force: true });
}

/** What teardown must have removed; empty when the machine is clean. */
export function networkLeftovers(): string[] {
  const left: string[] = [];
  for (const n of ourPodNetns()) left.push(`network namespace ${n}`);
  if (sh('ip', ['netns', 'list'], { allowFail: true }).split('\n').some((l) => l.split(' ')[0] === NET.vpcNetns)) left.push(`network namespace ${NET.vpcNetns}`);
  for (const l of ourLinks()) left.push(`link ${l}`);
  for (const c of kubeChainsLeft()) left.push(`chain ${c}`);
  for (const t of nftTablesLeft()) left.push(`nftables ${t}`);
  return left;
}
