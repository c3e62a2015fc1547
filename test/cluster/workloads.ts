import { ADDON_IMAGES } from '../../cluster/node/addons';

/**
 * Small workloads for the node tests, made of the images the cluster builds itself: CoreDNS (an HTTP
 * health endpoint to probe and a DNS server to serve) and the pause image (a pod that only holds a
 * network namespace, to send traffic from).
 */

export const TEST_NS = 'cluster-node-test';

/** A Deployment with the contract dist/ uses: uid 50000, read-only root, emptyDir with sizeLimit, memory limit, probes. */
export function contractDeployment(ns = TEST_NS): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: ${ns}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web, namespace: ${ns}}
data:
  Corefile: |
    .:1053 {
        health :8080
        ready :8181
        whoami
    }
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      automountServiceAccountToken: false
      securityContext: {runAsUser: 50000, runAsGroup: 0, runAsNonRoot: true, fsGroup: 0}
      containers:
      - name: web
        image: ${ADDON_IMAGES.coredns}
        imagePullPolicy: Never
        args: [-conf, /etc/web/Corefile]
        resources: {requests: {cpu: 10m, memory: 32Mi}, limits: {memory: 96Mi}}
        securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
        readinessProbe: {httpGet: {path: /ready, port: 8181}, periodSeconds: 2}
        livenessProbe: {httpGet: {path: /health, port: 8080}, periodSeconds: 5}
        volumeMounts:
        - {name: config, mountPath: /etc/web, readOnly: true}
        - {name: tmp, mountPath: /tmp}
      volumes:
      - {name: config, configMap: {name: web}}
      - {name: tmp, emptyDir: {sizeLimit: 16Mi}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${ns}}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
`;
}

/** A pod that only holds a network namespace, with the given labels. */
export function probePod(ns: string, name: string, labels: Record<string, string>): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${ns}
  labels: ${JSON.stringify(labels)}
spec:
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 1
  securityContext: {runAsUser: 65534, runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: pause
    image: ${ADDON_IMAGES.pause}
    imagePullPolicy: Never
    resources: {requests: {cpu: 1m, memory: 4Mi}, limits: {memory: 16Mi}}
    securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
`;
}

/** Ingress to app=web only from pods labelled role=client. */
export function webPolicy(ns = TEST_NS): string {
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-clients, namespace: ${ns}}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {role: client}}}]
    ports: [{port: 8080, protocol: TCP}]
`;
}
