import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../manifests-src/config';
import { CHARTS, imageRepository } from './charts';
import { HelmAddOn, onSystemNodes } from './helm-addon';

export interface KedaProps {
  readonly env: EnvironmentConfig;
  readonly cluster: eks.ICluster;
}

/** Pure: KEDA chart values. KEDA reads the queue from PostgreSQL (through PgBouncer): no AWS role needed. */
export function kedaValues(env: EnvironmentConfig): Record<string, unknown> {
  const [keda, metricsApiServer, webhooks] = CHARTS.keda.images.map((i) => imageRepository(env, i));
  // The chart splits registry and repository; the mirror keeps the upstream path.
  // Tags pinned from the table, so what the mirror copies is what the pods pull.
  const split = (ref: string) => ({ registry: ref.split('/')[0], repository: ref.split('/').slice(1).join('/'), tag: CHARTS.keda.appVersion });
  return {
    image: { keda: split(keda), metricsApiServer: split(metricsApiServer), webhooks: split(webhooks) },
    ...onSystemNodes,
    operator: { replicaCount: 2 },
    podDisruptionBudget: { operator: { minAvailable: 1 } },
  };
}

/** KEDA, which scales the Celery workers on queued + running task count (ScaledObject in dist/). */
export class Keda extends Construct {
  readonly release: HelmAddOn;
  constructor(scope: Construct, id: string, props: KedaProps) {
    super(scope, id);
    this.release = new HelmAddOn(this, 'Chart', { env: props.env, cluster: props.cluster, chart: 'keda', values: kedaValues(props.env) });
  }
}
