import type { EnvironmentConfig } from '../../manifests-src/config';

/** The cost goals of the project, against Amazon MWAA at equal task slots (on-demand list prices). */
export interface CostGoal {
  readonly name: string;
  /** Highest acceptable total / MWAA. */
  readonly maxRatio: number;
  /** The environment as the goal measures it (e.g. office hours switched off). */
  readonly variant: (env: EnvironmentConfig) => EnvironmentConfig;
}

const officeHours = (on: boolean) => (env: EnvironmentConfig): EnvironmentConfig => ({ ...env, officeHours: { ...env.officeHours, enabled: on } });

/** Goals that apply to an environment: office-hours profiles (dev) and always-on HA profiles (prod). */
export function goalsFor(env: EnvironmentConfig): CostGoal[] {
  if (env.officeHours.enabled) {
    return [
      { name: 'dev with office hours <= 0.5x MWAA', maxRatio: 0.5, variant: officeHours(true) },
      { name: 'dev running 24x7 <= 0.9x MWAA', maxRatio: 0.9, variant: officeHours(false) },
    ];
  }
  return [{ name: 'prod at the reference load <= 0.75x MWAA', maxRatio: 0.75, variant: (e) => e }];
}

/** Share of our total we aim to reach at higher load (the crossover printed). */
export const CROSSOVER_TARGET = 0.6;
