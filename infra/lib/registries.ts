import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../manifests-src/config';
import { mirroredRepositoryNames } from './charts';

export interface RegistriesProps {
  readonly env: EnvironmentConfig;
  /** Tagged images kept per repository (older ones expire). @default 30 */
  readonly keepImages?: number;
}

/** ECR repository names: our images and every third-party image and chart the environment runs. */
export function repositoryNames(env: EnvironmentConfig): string[] {
  const { mirrorRegistry: _mirror, ...images } = env.images;
  const ours = Object.values(images).map((i) => i.repository);
  return [...new Set([...ours, ...mirroredRepositoryNames()])].sort();
}

/**
 * ECR repositories (scan on push, immutable tags, lifecycle). Mirror repositories exist in every environment,
 * so turning on `images.mirrorRegistry` needs no infra change; in aws-cn they are the only source.
 */
export class Registries extends Construct {
  readonly repositories: ecr.Repository[];

  constructor(scope: Construct, id: string, props: RegistriesProps) {
    super(scope, id);
    const keep = props.keepImages ?? 30;
    this.repositories = repositoryNames(props.env).map(
      (name) =>
        new ecr.Repository(this, name.replace(/[^A-Za-z0-9]/g, '-'), {
          repositoryName: name,
          imageScanOnPush: true,
          imageTagMutability: ecr.TagMutability.IMMUTABLE,
          encryption: ecr.RepositoryEncryption.AES_256,
          removalPolicy: RemovalPolicy.RETAIN,
          lifecycleRules: [
            { description: 'Drop untagged layers after a week', tagStatus: ecr.TagStatus.UNTAGGED, maxImageAge: Duration.days(7), rulePriority: 1 },
            { description: `Keep the last ${keep} images`, tagStatus: ecr.TagStatus.ANY, maxImageCount: keep, rulePriority: 2 },
          ],
        }),
    );
  }
}
