import type { EnvironmentConfig } from '../../manifests-src/config';

/** The cost goals of the project, against Amazon MWAA at equal task slots (on-demand list prices). */
export interface CostGoal {
  readonly name: string;
  /** Highest acceptable total / MWAA. */
  readonly maxRatio: number;
  /** The environment as the goal measures it (e.g. office hours on or off). */
  readonly variant: (env: EnvironmentConfig) => EnvironmentConfig;
}

export const withOfficeHours = (on: boolean) => (env: EnvironmentConfig): EnvironmentConfig => ({ ...env, officeHours: { ...env.officeHours, enabled: on } });

/** Goals per environment: dev (cheap profile, priced with its office-hours window and 24x7) and prod (HA). */
export function goalsFor(env: EnvironmentConfig): CostGoal[] {
  if (env.name === 'dev') {
    return [
      { name: 'dev with office hours <= 0.5x MWAA', maxRatio: 0.5, variant: withOfficeHours(true) },
      { name: 'dev running 24x7 <= 0.9x MWAA', maxRatio: 0.9, variant: withOfficeHours(false) },
    ];
  }
  if (env.name.startsWith('prod')) return [{ name: 'prod at the reference load <= 0.75x MWAA', maxRatio: 0.75, variant: (e) => e }];
  return [];
}

/** Share of MWAA we aim to reach at higher load (the crossover printed). */
export const CROSSOVER_TARGET = 0.6;
