import { Duration } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../manifests-src/config';
import { CHARTS, chartSource, type ChartName } from './charts';
import { SYSTEM_NODE_LABELS } from './cluster';

export interface HelmAddOnProps {
  readonly env: EnvironmentConfig;
  readonly cluster: eks.ICluster;
  /** Which pinned chart of `CHARTS`. */
  readonly chart: ChartName;
  /** Chart values (from the add-on's pure `…Values` function). */
  readonly values: Record<string, unknown>;
  /** Release name. @default the chart name */
  readonly release?: string;
  /** Leave out the chart's crds/ folder (its CRDs come from a release of their own). @default false */
  readonly skipCrds?: boolean;
}

/** One Helm release from the pinned table, pulled from upstream or the ECR mirror, waited for. */
export class HelmAddOn extends Construct {
  readonly chart: eks.HelmChart;

  constructor(scope: Construct, id: string, props: HelmAddOnProps) {
    super(scope, id);
    const spec = CHARTS[props.chart];
    this.chart = new eks.HelmChart(this, 'Release', {
      cluster: props.cluster,
      ...chartSource(props.env, props.chart),
      release: props.release ?? spec.chart,
      namespace: spec.namespace,
      createNamespace: true,
      wait: true,
      atomic: true,
      timeout: Duration.minutes(10),
      values: props.values,
      ...(props.skipCrds ? { skipCrds: true } : {}),
    });
  }
}

/** Controllers run on the managed system node group, which exists before Karpenter can add nodes. */
export const onSystemNodes = { nodeSelector: { ...SYSTEM_NODE_LABELS } } as const;
