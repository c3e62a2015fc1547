import type { EnvironmentConfig } from '../../manifests-src/config';

/** Account ids AWS documentation uses in examples: never a real deploy target. */
export const EXAMPLE_ACCOUNTS = ['123456789012', '111122223333', '444455556666'] as const;

/** Host names reserved for examples (RFC 2606 and the China equivalent used in our config). */
const EXAMPLE_HOST = /(^|[./@])example\.(com|net|org|cn)([/:]|$)/;

/**
 * Example values left in an environment that is about to be deployed, one line per field, naming the field and the
 * fix. `npm run deploy` (and the cdk app for a real account) refuse to go on while any is left, before anything is
 * created. Walks every string of the config, so a new field holding an example value is caught too.
 */
export function placeholderProblems(env: EnvironmentConfig, label = `environments(${env.name})`): string[] {
  const problems: string[] = [];
  const walk = (value: unknown, path: string[]): void => {
    if (typeof value === 'string') {
      const field = `${label}.${path.join('.')}`;
      const account = EXAMPLE_ACCOUNTS.find((a) => value.includes(a));
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
