import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { PROJECT_ROOT } from '../../local/stack';
import { NODE_POOL_LABEL } from '../../manifests-src/hardening/workload-defaults';
import type { NodeSpec } from './layout';

/**
 * What a node of a dist/ NodePool is registered with, read from the committed NodePool: its template's labels,
 * the single value of its arch/os requirements, its taints. Karpenter passes the same to the kubelets it starts
 * (--node-labels, --register-with-taints). This machine's CPU may differ from the arch label (dist/ asks for
 * arm64): the images run here are built for this machine, so the CPU architecture is the one thing not proved.
 */

interface NodePoolObject {
  kind?: string;
  spec?: {
    template?: {
      metadata?: { labels?: Record<string, string> };
      spec?: { requirements?: { key: string; operator: string; values?: string[] }[]; taints?: { key: string; value?: string; effect: string }[] };
    };
  };
}

/** Requirement keys a kubelet may set on itself (NodeRestriction) and dist/'s pods select on. */
const SELF_LABELS = ['kubernetes.io/arch', 'kubernetes.io/os'];

export interface NodeRegistration {
  readonly labels: Record<string, string>;
  /** key=value:effect */
  readonly taints: string[];
}

export function nodePoolRegistration(envName: string, pool: Exclude<NodeSpec['pool'], 'system'>): NodeRegistration {
  const file = path.join(PROJECT_ROOT, 'dist', envName, 'platform', 'karpenter.yaml');
  const pools = parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS() as NodePoolObject).filter((o) => o?.kind === 'NodePool');
  const p = pools.find((o) => o.spec?.template?.metadata?.labels?.[NODE_POOL_LABEL] === pool);
  if (!p) throw new Error(`${path.relative(PROJECT_ROOT, file)}: no NodePool labels its nodes ${NODE_POOL_LABEL}=${pool}`);
  const t = p.spec!.template!;
  const labels: Record<string, string> = { ...t.metadata!.labels! };
  for (const r of t.spec?.requirements ?? []) if (SELF_LABELS.includes(r.key) && r.operator === 'In' && r.values?.length) labels[r.key] = r.values[0];
  const taints = (t.spec?.taints ?? []).map((x) => `${x.key}=${x.value ?? ''}:${x.effect}`);
  return { labels, taints };
}

/**
 * The kubelet rewrites kubernetes.io/arch to its own CPU on every status update, so the NodePool's arch label
 * cannot come from --node-labels when this machine's CPU differs: an admission policy of the local cluster's
 * API server keeps the NodePool's value on this node. dist/'s arch selectors then match; the images the node
 * runs are built for its real CPU (see the header).
 */
export function archPolicy(node: Pick<NodeSpec, 'name'>, registration: NodeRegistration): object[] {
  const arch = registration.labels['kubernetes.io/arch'];
  if (!arch) return [];
  const name = `airflow-eks-local-arch-${node.name}`;
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingAdmissionPolicy',
      metadata: { name },
      spec: {
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['nodes', 'nodes/status'] }] },
        matchConditions: [{ name: 'this-node', expression: `object.metadata.name == ${JSON.stringify(node.name)}` }],
        failurePolicy: 'Fail',
        reinvocationPolicy: 'IfNeeded',
        mutations: [
          {
            patchType: 'ApplyConfiguration',
            applyConfiguration: { expression: `Object{metadata: Object.metadata{labels: {"kubernetes.io/arch": ${JSON.stringify(arch)}}}}` },
          },
        ],
      },
    },
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingAdmissionPolicyBinding', metadata: { name }, spec: { policyName: name } },
  ];
}
