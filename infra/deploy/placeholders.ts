import type { EnvironmentConfig } from '../../manifests-src/config';

/** Account ids AWS documentation uses in examples: never a real deploy target. */
export const EXAMPLE_ACCOUNTS = ['123456789012', '111122223333', '444455556666'] as const;

/**
 * Where an account id stands as an account: a whole value, the account field of an ARN (`arn:aws:iam::<id>:role/x`)
 * or an ECR registry host (`<id>.dkr.ecr.<region>...`, also after `oci://` or inside an image reference). The same
 * twelve digits elsewhere (a certificate id, a resource name) are not an account.
 */
function holdsAccount(value: string, account: string): boolean {
  return value === account || value.includes(`:${account}:`) || new RegExp(`(^|/)${account}\\.dkr\\.ecr\\.`).test(value);
}

/** Host names reserved for examples (RFC 2606 and the China equivalent used in our config). */
const EXAMPLE_HOST = /(^|[./@])example\.(com|net|org|cn)([/:]|$)/;

/** CDK context that lets a synth of the cdk app go on with example values (for review; nothing deploys from it). */
export const ALLOW_EXAMPLES_CONTEXT = 'airflow-eks:allowExamples';

/** CDK context `npm run deploy` / `npm run destroy` set to the environment they act on: only it is checked. */
export const DEPLOY_ENVIRONMENT_CONTEXT = 'airflow-eks:deployEnvironment';

/**
 * The example values that stop a synth of the cdk app (infra/bin/app.ts), given its CDK context: none with
 * `airflow-eks:allowExamples=true`; those of the environment named by `airflow-eks:deployEnvironment` when set (the
 * other environments' stacks are not deployed); otherwise those of every environment (a plain `cdk synth`).
 */
export function synthPlaceholderProblems(envs: readonly EnvironmentConfig[], context: (key: string) => unknown): string[] {
  const allow = context(ALLOW_EXAMPLES_CONTEXT);
  if (allow === true || allow === 'true') return [];
  const target = context(DEPLOY_ENVIRONMENT_CONTEXT);
  const label = (e: EnvironmentConfig) => `environments[${envs.indexOf(e)}](${e.name})`;
  if (target === undefined) return envs.flatMap((e) => placeholderProblems(e, label(e)));
  const env = envs.find((e) => e.name === String(target));
  if (!env) return [`${DEPLOY_ENVIRONMENT_CONTEXT}=${String(target)}: no such environment in the config (${envs.map((e) => e.name).join(', ')})`];
  return placeholderProblems(env, label(env));
}

/**
 * Example values left in an environment that is about to be deployed, one line per field, naming the field and the
 * fix. `npm run deploy` and `npm run destroy` (and the cdk app, see synthPlaceholderProblems) refuse to go on while
 * any is left, before anything is created. Walks every string of the config, so a new field holding an example
 * value is caught too.
 */
export function placeholderProblems(env: EnvironmentConfig, label = `environments(${env.name})`): string[] {
  const problems: string[] = [];
  const walk = (value: unknown, path: string[]): void => {
    if (typeof value === 'string') {
      const field = `${label}.${path.join('.')}`;
      const account = EXAMPLE_ACCOUNTS.find((a) => holdsAccount(value, a));
      if (account) problems.push(`${field}: contains the example account ${account}; set your AWS account id (got ${JSON.stringify(value)})`);
      else if (EXAMPLE_HOST.test(value)) problems.push(`${field}: is an example host name; set your own (got ${JSON.stringify(value)})`);
    } else if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, String(i)]));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(env, []);
  if (!env.ingress.certificateArn) {
    problems.push(`${label}.ingress.certificateArn: missing; set the ARN of the ACM certificate for ${env.ingress.host} (HTTPS on the load balancer)`);
  }
  return problems;
}
