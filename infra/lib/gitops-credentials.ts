import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { SECRET_KEYS, secretsManagerNames, type EnvironmentConfig } from '../../manifests-src/config';
import { CHARTS } from './charts';

export interface GitOpsCredentialsProps {
  readonly env: EnvironmentConfig;
  readonly cluster: eks.ICluster;
}

/** Name of the SecretStore (namespace argocd) and of the Argo CD repository Secret it fills. */
export const GITOPS_STORE = 'gitops-credentials';
export const GITOPS_REPOSITORY_SECRET = 'gitops-repository';

/**
 * Pure: the SecretStore and ExternalSecret that turn the Secrets Manager secret `airflow-eks/<env>/gitops` into an
 * Argo CD repository Secret (label `argocd.argoproj.io/secret-type: repository`) for `gitops.repoUrl`. They live
 * in the CDK stack, not in dist/: Argo CD needs them to read dist/ in the first place. The store has no auth block,
 * so the controller's own Pod Identity role (granted this one secret) is used.
 */
export function gitOpsCredentialManifests(env: EnvironmentConfig): Array<Record<string, unknown>> {
  if (env.gitops.auth === 'none') return [];
  const namespace = CHARTS.argocd.namespace;
  const keys = SECRET_KEYS.gitops;
  const fields = env.gitops.auth === 'ssh' ? { sshPrivateKey: `{{ .${keys.sshPrivateKey} }}` } : { username: `{{ .${keys.username} }}`, password: `{{ .${keys.password} }}` };
  return [
    {
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: GITOPS_STORE, namespace },
      spec: { provider: { aws: { service: 'SecretsManager', region: env.aws.region } } },
    },
    {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: GITOPS_REPOSITORY_SECRET, namespace },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { kind: 'SecretStore', name: GITOPS_STORE },
        target: {
          name: GITOPS_REPOSITORY_SECRET,
          creationPolicy: 'Owner',
          template: {
            engineVersion: 'v2',
            metadata: { labels: { 'argocd.argoproj.io/secret-type': 'repository' } },
            data: { type: 'git', url: env.gitops.repoUrl, ...fields },
          },
        },
        dataFrom: [{ extract: { key: secretsManagerNames(env).gitops } }],
      },
    },
  ];
}

/** Applies those manifests once External Secrets and Argo CD (its namespace) are installed. */
export class GitOpsCredentials extends Construct {
  readonly manifest?: eks.KubernetesManifest;
  constructor(scope: Construct, id: string, props: GitOpsCredentialsProps) {
    super(scope, id);
    const manifests = gitOpsCredentialManifests(props.env);
    if (manifests.length) this.manifest = props.cluster.addManifest(`${id}Manifests`, ...manifests);
  }
}
