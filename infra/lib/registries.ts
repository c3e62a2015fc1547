import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../manifests-src/config';
import { mirroredRepositoryNames } from './charts';
import { KEEP_DATA } from './retention';

/** Tagged images kept per repository (older ones expire). */
const KEEP_IMAGES = 30;

/** ECR repository names: our images and every third-party image and chart the environments run. */
export function repositoryNames(envs: EnvironmentConfig[]): string[] {
  const ours = envs.flatMap((env) => {
    const { mirrorRegistry: _mirror, ...images } = env.images;
    return Object.values(images).map((i) => i.repository);
  });
  return [...new Set([...ours, ...mirroredRepositoryNames()])].sort();
}

/** Account and region of a registries stack: environments sharing both share one registries stack. */
export function registriesKey(env: Pick<EnvironmentConfig, 'aws'>): string {
  return `${env.aws.account}/${env.aws.region}`;
}

/** Stack name of the registries of a region (stack names are unique per account and region). */
export function registriesStackName(env: Pick<EnvironmentConfig, 'aws'>): string {
  return `airflow-eks-registries-${env.aws.region}`;
}

/**
 * Construct id of a group's registries stack within an app of `groups`: its stack name, unless another group of the
 * app has the same region in another account (ids are unique per app, stack names per account and region).
 */
export function registriesStackId(group: readonly EnvironmentConfig[], groups: readonly (readonly EnvironmentConfig[])[]): string {
  const [env] = group;
  const shared = groups.filter(([e]) => e.aws.region === env.aws.region).length > 1;
  return shared ? `${registriesStackName(env)}-${env.aws.account}` : registriesStackName(env);
}

/** Groups environments by account/region: one registries stack each. */
export function registryGroups(envs: EnvironmentConfig[]): EnvironmentConfig[][] {
  const groups = new Map<string, EnvironmentConfig[]>();
  for (const env of envs) groups.set(registriesKey(env), [...(groups.get(registriesKey(env)) ?? []), env]);
  return [...groups.values()];
}

export interface RegistriesStackProps extends Omit<StackProps, 'env'> {
  /** The environments of one account/region (see `registryGroups`). */
  readonly envs: EnvironmentConfig[];
}

/**
 * ECR repositories (scan on push, immutable tags, lifecycle), once per account/region: dev and prod in one account
 * share them instead of colliding on the same fixed names. Deployed before the environment stacks, so the mirror
 * step can fill them before anything installs from them (aws-cn). Mirror repositories exist everywhere, so turning
 * on `images.mirrorRegistry` needs no infra change.
 */
export class RegistriesStack extends Stack {
  readonly repositories: ecr.Repository[];

  constructor(scope: Construct, id: string, props: RegistriesStackProps) {
    const { envs, ...rest } = props;
    const [first] = envs;
    super(scope, id, { ...rest, stackName: registriesStackName(first), env: { account: first.aws.account, region: first.aws.region }, description: `Airflow on EKS: ECR repositories of ${first.aws.region} (${envs.map((e) => e.name).join(', ')})` });
    this.repositories = repositoryNames(envs).map(
      (name) =>
        new ecr.Repository(this, name.replace(/[^A-Za-z0-9]/g, '-'), {
          repositoryName: name,
          imageScanOnPush: true,
          imageTagMutability: ecr.TagMutability.IMMUTABLE,
          encryption: ecr.RepositoryEncryption.AES_256,
          removalPolicy: KEEP_DATA,
          lifecycleRules: [
            { description: 'Drop untagged layers after a week', tagStatus: ecr.TagStatus.UNTAGGED, maxImageAge: Duration.days(7), rulePriority: 1 },
            { description: `Keep the last ${KEEP_IMAGES} images`, tagStatus: ecr.TagStatus.ANY, maxImageCount: KEEP_IMAGES, rulePriority: 2 },
          ],
        }),
    );
  }
}
