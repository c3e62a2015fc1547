import * as fs from 'node:fs';
import * as path from 'node:path';
import { startDaemon } from './daemon';
import { podMutationPolicy } from './pod-mutation-policy';
import { STATE_DIR, statePath, type NodeSpec } from './layout';

/**
 * Each EKS node has a disk of its own; the local nodes share this machine's. Two things make a node's
 * disk its own here, which a DaemonSet that reads host files (the log shipper) needs:
 *  - a pod's hostPath on node N is mapped into N's folder (`nodeRoot`) by an admission policy: a DaemonSet pod
 *    names its node at creation (the node affinity its controller sets), so /var/log and the log shipper's
 *    position database are N's alone;
 *  - N's kubelet writes its pods' logs into N's /var/log/pods, and the symlinks every kubelet keeps in the
 *    fixed /var/log/containers of the machine are relayed into N's /var/log/containers, pointing where they
 *    point on a node (/var/log/pods/...).
 * Nothing of dist/ changes: the DaemonSet mounts /var/log and reads /var/log/containers/*.log, as on EKS.
 */

export const NODES_ROOT = statePath('nodes');
export const nodeRoot = (n: Pick<NodeSpec, 'name'>) => path.join(NODES_ROOT, n.name);
/** The kubelet's `podLogsDir`: where /var/log/pods is on the node. */
export const podLogsDir = (n: Pick<NodeSpec, 'name'>) => path.join(nodeRoot(n), 'var', 'log', 'pods');
/** Where every kubelet keeps its container log symlinks (fixed in the kubelet). */
export const KUBELET_CONTAINER_LINKS = '/var/log/containers';

export function prepareNodeDisk(n: Pick<NodeSpec, 'name'>): void {
  for (const d of ['pods', 'containers']) fs.mkdirSync(path.join(nodeRoot(n), 'var', 'log', d), { recursive: true });
}

/** The admission policy mapping a DaemonSet pod's hostPath volumes into its node's folder. */
export function hostPathPolicy(): object[] {
  const name = 'airflow-eks-local-node-disks';
  const terms = 'object.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms';
  const pinned = `${terms}.exists(t, has(t.matchFields) && t.matchFields.exists(f, f.key == "metadata.name" && size(f.values) == 1))`;
  return podMutationPolicy(name, {
    matchConditions: [
      { name: 'has-host-path', expression: 'has(object.spec.volumes) && object.spec.volumes.exists(v, has(v.hostPath))' },
      {
        name: 'pinned-to-a-node',
        expression: `has(object.spec.affinity) && has(object.spec.affinity.nodeAffinity) && has(object.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution) && ${pinned}`,
      },
    ],
    variables: [
      {
        name: 'root',
        expression: `${JSON.stringify(NODES_ROOT + '/')} + ${terms}.filter(t, has(t.matchFields)).map(t, t.matchFields.filter(f, f.key == "metadata.name")).filter(l, size(l) > 0)[0][0].values[0]`,
      },
    ],
    mutations: [
      {
        patchType: 'ApplyConfiguration',
        applyConfiguration: {
          expression:
            'Object{spec: Object.spec{volumes: object.spec.volumes.filter(v, has(v.hostPath)).map(v, Object.spec.volumes{name: v.name, hostPath: Object.spec.volumes.hostPath{path: variables.root + v.hostPath.path}})}}',
        },
      },
    ],
  });
}

/** Relays the kubelets' container log symlinks into each node's /var/log/containers (cluster/node/log-links.sh). */
export function startLogLinkRelay(): void {
  startDaemon({ name: 'log-links', command: 'bash', args: [path.join(__dirname, 'log-links.sh'), KUBELET_CONTAINER_LINKS, NODES_ROOT] });
}

/** Symlinks a kubelet of this cluster left in /var/log/containers (a kubelet stopped hard does not remove them). */
export function leftoverContainerLinks(): string[] {
  if (!fs.existsSync(KUBELET_CONTAINER_LINKS)) return [];
  return fs
    .readdirSync(KUBELET_CONTAINER_LINKS)
    .map((f) => path.join(KUBELET_CONTAINER_LINKS, f))
    .filter((l) => {
      try {
        return fs.readlinkSync(l).startsWith(STATE_DIR + path.sep);
      } catch {
        return false;
      }
    });
}
