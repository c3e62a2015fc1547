import { ConfigError, loadEnvironments } from '../../manifests-src/config';

/** The problems loadEnvironments reports for `inputs` (a list of environments); fails the test if it accepts them. */
export function configProblems(inputs: unknown): string[] {
  try {
    loadEnvironments(inputs);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}
