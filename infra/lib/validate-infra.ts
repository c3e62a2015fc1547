import { ConfigError, environmentsFromArgs, loadEnvironments, type EnvironmentConfig } from '../../manifests-src/config';

/**
 * Cross-field checks the zod schema cannot express on one field alone, run before any construct
 * exists so a bad config never reaches `cdk synth`. Messages follow ConfigError's form: field, rule, value.
 */
export function infraProblems(env: EnvironmentConfig, label = `environments(${env.name})`): string[] {
  const problems: string[] = [];
  const { vpc, eks, database } = env.infra;
  const azs = env.cluster.availabilityZones;
  if (vpc.natGateways !== undefined && vpc.natGateways > azs) {
    problems.push(`${label}.infra.vpc.natGateways: must be <= cluster.availabilityZones (${azs}): one NAT gateway per zone at most (got ${vpc.natGateways})`);
  }
  if (database.minCapacityAcu > database.maxCapacityAcu) {
    problems.push(`${label}.infra.database.minCapacityAcu: must be <= infra.database.maxCapacityAcu (${database.maxCapacityAcu}) (got ${database.minCapacityAcu})`);
  }
  eks.adminPrincipalArns.forEach((arn, i) => {
    if (!arn.startsWith(`arn:${env.aws.partition}:`)) {
      problems.push(`${label}.infra.eks.adminPrincipalArns.${i}: must be an ARN of partition "${env.aws.partition}" like the environment (got ${JSON.stringify(arn)})`);
    } else if (arn.split(':')[4] !== env.aws.account) {
      problems.push(`${label}.infra.eks.adminPrincipalArns.${i}: must belong to account ${env.aws.account} (got ${JSON.stringify(arn)})`);
    }
  });
  if (env.logging.remoteTaskLogs === 's3' && env.aws.partition === 'aws-cn' && env.logging.s3Bucket?.includes('.')) {
    problems.push(`${label}.logging.s3Bucket: dotted bucket names break virtual-host TLS in aws-cn (got ${JSON.stringify(env.logging.s3Bucket)})`);
  }
  return problems;
}

/** Parses environments (schema) and applies the infra cross-field checks; throws one ConfigError listing all problems. */
export function loadInfraEnvironments(inputs?: unknown): EnvironmentConfig[] {
  const envs = inputs === undefined ? loadEnvironments() : loadEnvironments(inputs);
  return checked(envs);
}

/** Same, honouring `--config FILE` / AIRFLOW_EKS_CONFIG like the manifests synth. */
export function infraEnvironmentsFromArgs(argv: string[] = process.argv.slice(2)): EnvironmentConfig[] {
  return checked(environmentsFromArgs(argv));
}

function checked(envs: EnvironmentConfig[]): EnvironmentConfig[] {
  const problems = envs.flatMap((env, i) => infraProblems(env, `environments[${i}](${env.name})`));
  if (problems.length) throw new ConfigError(problems);
  return envs;
}
