import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { discoveryTags, karpenterNodeRoleName } from '../config';
import { nodeConfigUserData } from './node-config';
import { isWorkerPool, NODE_POOL_LABEL, type NodePoolRole } from '../hardening/workload-defaults';

export const NODE_CLASS_NAME = 'airflow';

export interface GravitonNodeClassProps {
  readonly env: EnvironmentConfig;
}

/**
 * EC2NodeClass: AMI by alias, subnets and security groups found by the discovery tag infra/ sets, IMDSv2 only,
 * and the shared kubelet settings as a nodeadm NodeConfig in user data (Karpenter's `spec.kubelet` has no field for
 * singleProcessOOMKill; it merges this part with its own NodeConfig).
 */
export class GravitonNodeClass extends Construct {
  constructor(scope: Construct, id: string, props: GravitonNodeClassProps) {
    super(scope, id);
    const { env } = props;
    const tags = discoveryTags(env);
    new ApiObject(this, 'Resource', {
      apiVersion: 'karpenter.k8s.aws/v1',
      kind: 'EC2NodeClass',
      metadata: { name: NODE_CLASS_NAME },
      spec: {
        role: karpenterNodeRoleName(env),
        amiSelectorTerms: [{ alias: env.karpenter.amiAlias }],
        subnetSelectorTerms: [{ tags }],
        securityGroupSelectorTerms: [{ tags }],
        metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1, httpProtocolIPv6: 'disabled' },
        blockDeviceMappings: [
          { deviceName: '/dev/xvda', ebs: { volumeSize: '80Gi', volumeType: 'gp3', encrypted: true, deleteOnTermination: true } },
        ],
        userData: nodeConfigUserData(),
        tags: { 'airflow-eks/environment': env.name, ...tags },
      },
    });
  }
}

export interface AirflowNodePoolProps {
  readonly env: EnvironmentConfig;
  /** `core`: on-demand for schedulers, api-server, PgBouncer; `workers`: spot allowed; `long-workers`: on-demand. Worker pools are tainted for workers only. */
  readonly role: NodePoolRole;
}

/** Karpenter v1 NodePool of arm64 Graviton instances, consolidating under a disruption budget. */
export class AirflowNodePool extends Construct {
  constructor(scope: Construct, id: string, props: AirflowNodePoolProps) {
    super(scope, id);
    const { env, role } = props;
    const k = env.karpenter;
    const capacityTypes = role === 'workers' ? k.workerCapacityTypes : ['on-demand'];
    new ApiObject(this, 'Resource', {
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodePool',
      metadata: { name: `airflow-${role}` },
      spec: {
        template: {
          metadata: { labels: { [NODE_POOL_LABEL]: role } },
          spec: {
            nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: NODE_CLASS_NAME },
            requirements: [
              { key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] },
              { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
              { key: 'karpenter.sh/capacity-type', operator: 'In', values: [...capacityTypes] },
              { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: [...k.instanceFamilies] },
              { key: 'karpenter.k8s.aws/instance-size', operator: 'NotIn', values: ['metal', 'medium', 'small', 'micro', 'nano'] },
            ],
            taints: isWorkerPool(role) ? [{ key: NODE_POOL_LABEL, value: role, effect: 'NoSchedule' }] : [],
            expireAfter: '720h',
            // Expiry and drift wait this long for pods to drain (long-task workers carry do-not-disrupt) before a
            // forced drain: the bound on how long a running task can hold a node.
            terminationGracePeriod: `${Math.ceil(env.workers.terminationGracePeriodSeconds / 60) + 10}m`,
          },
        },
        disruption: {
          consolidationPolicy: 'WhenEmptyOrUnderutilized',
          consolidateAfter: k.consolidateAfter,
          budgets: [{ nodes: k.disruptionBudget }],
        },
        limits: { cpu: String(k.cpuLimit) },
        weight: role === 'core' ? 10 : role === 'workers' ? 5 : 1,
      },
    });
  }
}
