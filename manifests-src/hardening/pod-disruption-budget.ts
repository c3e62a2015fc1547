import { k8s } from 'cdk8s-plus-33';
import { Construct } from 'constructs';

export interface WorkloadDisruptionBudgetProps {
  /** PDB name (the workload's name). */
  readonly name: string;
  readonly namespace: string;
  readonly selector: Record<string, string>;
  readonly labels: Record<string, string>;
  /** Replicas of the workload; no PDB below 2 (it would block node drains forever). */
  readonly replicas: number;
  /** Pods that may be down at once during voluntary disruptions. @default 1 */
  readonly maxUnavailable?: number;
}

/** PDB for a multi-replica workload: node drains and Karpenter consolidation take one pod at a time. */
export class WorkloadDisruptionBudget extends Construct {
  static appliesTo(replicas: number): boolean {
    return replicas >= 2;
  }

  constructor(scope: Construct, id: string, props: WorkloadDisruptionBudgetProps) {
    super(scope, id);
    new k8s.KubePodDisruptionBudget(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
      spec: {
        maxUnavailable: k8s.IntOrString.fromNumber(props.maxUnavailable ?? 1),
        selector: { matchLabels: props.selector },
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });
  }
}
