import * as path from 'node:path';
import { sh, startDaemon } from './daemon';
import { binDir, KUBE_ROUTER_VERSION, KUBECONFIG, NET, NODE_NAME } from './layout';

/**
 * NetworkPolicies are enforced by kube-router's firewall (iptables + ipset), run on the node as its
 * DaemonSet would run it (host network, privileged), with only the firewall on: kube-proxy and the CNI
 * bridge keep services and routing. sigs.k8s.io/kube-network-policies was tried first: it needs the
 * nftables `queue` expression, which this kernel lacks ("netlink receive: no such file or directory").
 */

export const KUBE_ROUTER = path.join(binDir('kube-router', KUBE_ROUTER_VERSION), 'kube-router');
export const KUBE_ROUTER_HEALTH_PORT = 20244;

export function startNetworkPolicyEnforcer(): void {
  startDaemon({
    name: 'kube-router',
    command: KUBE_ROUTER,
    args: [
      `--kubeconfig=${KUBECONFIG}`,
      '--run-firewall=true',
      '--run-router=false',
      '--run-service-proxy=false',
      `--hostname-override=${NODE_NAME}`,
      `--service-cluster-ip-range=${NET.serviceCidr}`,
      `--health-port=${KUBE_ROUTER_HEALTH_PORT}`,
      '--metrics-port=0',
    ],
  });
}

export async function enforcerHealthy(): Promise<boolean> {
  return (await fetch(`http://127.0.0.1:${KUBE_ROUTER_HEALTH_PORT}/healthz`)).ok;
}

/** Removes kube-router's iptables chains and ipsets (after it stopped). */
export function enforcerCleanup(): void {
  sh(KUBE_ROUTER, ['--cleanup-config'], { allowFail: true });
}

/** Destroys kube-router's ipsets still there (an ipset can only go once no iptables rule refers to it). */
export function destroyEnforcerIpsets(): void {
  for (const s of enforcerIpsetsLeft()) sh('ipset', ['destroy', s], { allowFail: true });
}

/** ipsets kube-router leaves behind, if any. */
export function enforcerIpsetsLeft(): string[] {
  return sh('ipset', ['list', '-n'], { allowFail: true }).split('\n').filter((n) => /^(KUBE-|kube-router)/.test(n));
}
