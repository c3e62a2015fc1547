import type { EnvironmentConfig } from '../../../manifests-src/config';
import type { ServicesInfo } from '../../../cluster/services/managed-services';

/** What a scenario shares with the cluster suite that started the one cluster (test/cluster/cluster.test.ts). */
export interface ScenarioContext {
  readonly env: EnvironmentConfig;
  readonly services: ServicesInfo;
  readonly log: (line: string) => void;
  /** Polls until `check` holds; throws naming `what` after the timeout. */
  readonly until: (what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs?: number) => Promise<void>;
}

export const MIN = 60_000;
