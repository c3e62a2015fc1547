import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../manifests-src/config';
import { CHARTS, imageRepository } from './charts';
import { HelmAddOn, onSystemNodes } from './helm-addon';

export interface ReloaderProps {
  readonly env: EnvironmentConfig;
  readonly cluster: eks.ICluster;
}

/** Pure: Reloader values. Only annotated workloads roll (`secret.reloader.stakater.com/reload` in dist/). */
export function reloaderValues(env: EnvironmentConfig): Record<string, unknown> {
  return {
    // The chart reads the top-level `image` (not `reloader.deployment.image`); the tag is the table's release.
    image: { repository: imageRepository(env, CHARTS.reloader.images[0]), tag: CHARTS.reloader.appVersion },
    reloader: {
      autoReloadAll: false,
      reloadOnCreate: false,
      deployment: { ...onSystemNodes },
    },
  };
}

/**
 * Stakater Reloader: when External Secrets refreshes a Secret (after an Aurora password rotation, say),
 * the pods that read it roll, so nobody keeps a stale password.
 */
export class Reloader extends Construct {
  readonly release: HelmAddOn;
  constructor(scope: Construct, id: string, props: ReloaderProps) {
    super(scope, id);
    this.release = new HelmAddOn(this, 'Chart', { env: props.env, cluster: props.cluster, chart: 'reloader', values: reloaderValues(props.env) });
  }
}
