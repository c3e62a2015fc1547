import * as path from 'node:path';
import { sh } from './daemon';
import { binDir, COREDNS_VERSION, KUBERNETES_VERSION, NET, SANDBOX_IMAGE } from './layout';
import { importImage } from './runtime';

/**
 * CoreDNS as a pod, the way a kubeadm cluster runs it (label k8s-app=kube-dns, which dist/'s DNS egress
 * rules select); its image is a one-layer archive around the static binary built from the Go module.
 */

export const ADDON_IMAGES = {
  pause: SANDBOX_IMAGE,
  coredns: `localhost/airflow-eks/coredns:${COREDNS_VERSION}`,
} as const;

const staticImage = (ref: string, entrypoint: string[], file: string) =>
  sh('bash', [path.join(__dirname, 'static-image.sh'), ref, JSON.stringify(entrypoint), file]).split('\n').pop()!;

/** Builds (cached) and imports the pause and CoreDNS images. */
export function loadAddonImages(): void {
  importImage(staticImage(ADDON_IMAGES.pause, ['/usr/local/bin/pause'], path.join(binDir('pause', KUBERNETES_VERSION), 'pause')));
  importImage(staticImage(ADDON_IMAGES.coredns, ['/usr/local/bin/coredns'], path.join(binDir('coredns', COREDNS_VERSION), 'coredns')));
}

/** Names the managed services answer for inside the cluster (the git repositories, the AWS APIs), with their address. */
export interface HostEntry {
  readonly name: string;
  readonly address: string;
}

export function corefile(hosts: readonly HostEntry[]): string {
  // No `forward`: nothing in the cluster may resolve (or reach) names outside this machine.
  return `.:53 {
    errors
    health :8080
    ready :8181
    kubernetes ${NET.clusterDomain} in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    hosts {
${hosts.map((h) => `        ${h.address} ${h.name}`).join('\n')}
        fallthrough
    }
    cache 30
    loop
    reload 5s
}
`;
}

const indent = (s: string, n: number) => s.split('\n').map((l) => (l ? ' '.repeat(n) + l : l)).join('\n');

export function addonManifests(hosts: readonly HostEntry[]): string {
  return `apiVersion: v1
kind: ServiceAccount
metadata: {name: coredns, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:coredns"}
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}
subjects: [{kind: ServiceAccount, name: coredns, namespace: kube-system}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data:
  Corefile: |
${indent(corefile(hosts), 4)}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  replicas: 1
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      serviceAccountName: coredns
      priorityClassName: system-cluster-critical
      dnsPolicy: Default
      containers:
      - name: coredns
        image: ${ADDON_IMAGES.coredns}
        imagePullPolicy: Never
        args: [-conf, /etc/coredns/Corefile]
        resources: {requests: {cpu: 50m, memory: 70Mi}, limits: {memory: 170Mi}}
        securityContext:
          readOnlyRootFilesystem: true
          allowPrivilegeEscalation: false
          capabilities: {add: [NET_BIND_SERVICE], drop: [ALL]}
        ports:
        - {name: dns, containerPort: 53, protocol: UDP}
        - {name: dns-tcp, containerPort: 53, protocol: TCP}
        livenessProbe: {httpGet: {path: /health, port: 8080}, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 5}
        readinessProbe: {httpGet: {path: /ready, port: 8181}, periodSeconds: 5}
        volumeMounts: [{name: config, mountPath: /etc/coredns, readOnly: true}]
      volumes: [{name: config, configMap: {name: coredns}}]
---
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  clusterIP: ${NET.dnsServiceIp}
  selector: {k8s-app: kube-dns}
  ports:
  - {name: dns, port: 53, protocol: UDP}
  - {name: dns-tcp, port: 53, protocol: TCP}
`;
}
