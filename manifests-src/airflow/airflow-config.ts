import { k8s } from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { contentChecksum, labelsFor } from '../hardening/workload-defaults';
import { airflowEnvironment, kubernetesEndpoints, type AirflowEnvironment } from './airflow-settings';

export interface AirflowConfigProps {
  readonly env: EnvironmentConfig;
}

/**
 * The shared Airflow configuration as a ConfigMap (non-secret settings; secrets are per-process files).
 * Pods carry `checksum` so they roll when settings change, and the Reloader annotation so they roll
 * when a referenced Secret changes (ExternalSecrets refresh them from Secrets Manager).
 */
export class AirflowConfig extends Construct {
  static readonly NAME = 'airflow-config';
  readonly settings: AirflowEnvironment;
  readonly checksum: string;

  constructor(scope: Construct, id: string, props: AirflowConfigProps) {
    super(scope, id);
    this.settings = airflowEnvironment(props.env, kubernetesEndpoints(props.env));
    const data = sortedRecord(this.settings.plain);
    this.checksum = contentChecksum(JSON.stringify(data));
    new k8s.KubeConfigMap(this, 'Resource', {
      metadata: { name: AirflowConfig.NAME, namespace: props.env.namespace, labels: labelsFor(AirflowConfig.NAME, 'config') },
      data,
    });
  }

  /** `envFrom` for Airflow containers. */
  envFrom(): k8s.EnvFromSource[] {
    return [{ configMapRef: { name: AirflowConfig.NAME } }];
  }

  /** Every setting inline (for hooks that run before the ConfigMap is synced). */
  inlineEnv(): k8s.EnvVar[] {
    return Object.entries(sortedRecord(this.settings.plain)).map(([name, value]) => ({ name, value }));
  }

  /** Pod-template annotations that make pods roll on config or secret changes. */
  rolloutAnnotations(): Record<string, string> {
    return { 'airflow-eks/config-checksum': this.checksum };
  }
}

/** Deployment annotation for Stakater Reloader: roll pods when these Secrets change. */
export function reloadOnSecrets(names: readonly string[]): Record<string, string> {
  return { 'secret.reloader.stakater.com/reload': [...names].sort().join(',') };
}

function sortedRecord(r: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
}
