import type { IConstruct } from 'constructs';

/**
 * CDK context key `npm run deploy` sets on the first deploy of an environment stack (the stack does not exist yet).
 * Deletion protection then stays off, so a rollback can delete everything it created; the deploy runs a second,
 * small update without the key that turns protection on.
 */
export const FIRST_CREATE_CONTEXT = 'airflow-eks:firstCreate';

export function isFirstCreate(scope: IConstruct): boolean {
  const v: unknown = scope.node.tryGetContext(FIRST_CREATE_CONTEXT);
  return v === true || v === 'true';
}
