import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { SERVICE_ACCOUNTS, type EnvironmentConfig } from '../../manifests-src/config';
import { CHARTS, imageRepository } from './charts';
import { HelmAddOn, onSystemNodes } from './helm-addon';

export interface ExternalSecretsProps {
  readonly env: EnvironmentConfig;
  readonly cluster: eks.ICluster;
}

/** Pure: External Secrets Operator values; its service account name comes from the contract (Pod Identity). */
export function externalSecretsValues(env: EnvironmentConfig): Record<string, unknown> {
  const image = { repository: imageRepository(env, CHARTS.externalSecrets.images[0]), tag: CHARTS.externalSecrets.appVersion };
  return {
    installCRDs: true,
    serviceAccount: { create: true, name: SERVICE_ACCOUNTS.externalSecrets.name },
    image,
    webhook: { image, ...onSystemNodes },
    certController: { image, ...onSystemNodes },
    ...onSystemNodes,
    replicaCount: 2,
    podDisruptionBudget: { enabled: true, minAvailable: 1 },
  };
}

/**
 * External Secrets Operator: turns the Secrets Manager secrets into Kubernetes Secrets (ClusterSecretStore and
 * ExternalSecrets are in dist/). Its AWS role is the contract's Pod Identity (see airflow-access.ts).
 */
export class ExternalSecrets extends Construct {
  readonly release: HelmAddOn;
  constructor(scope: Construct, id: string, props: ExternalSecretsProps) {
    super(scope, id);
    if (SERVICE_ACCOUNTS.externalSecrets.namespace !== CHARTS.externalSecrets.namespace) {
      throw new Error(`external-secrets chart namespace ${CHARTS.externalSecrets.namespace} differs from the contract's ${SERVICE_ACCOUNTS.externalSecrets.namespace}`);
    }
    this.release = new HelmAddOn(this, 'Chart', { env: props.env, cluster: props.cluster, chart: 'externalSecrets', values: externalSecretsValues(props.env) });
  }
}
