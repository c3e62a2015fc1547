/**
 * Two projects, run by scripts/test.sh one after the other:
 * - `unit`: everything that needs no running Airflow or cluster, in parallel (`--maxWorkers`);
 * - `live`: the suites that start a whole Airflow installation or a cluster, one at a time (`--runInBand`).
 * Type-checking happens once in `tsc --noEmit`; tsconfig's isolatedModules makes ts-jest only transpile (4x faster).
 */
const LIVE = ['/test/local/[^/]*integration[^/]*\\.test\\.ts$', '/test/chaos/faults[^/]*\\.test\\.ts$', '/test/cluster/.*\\.test\\.ts$'];

const common = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
};

module.exports = {
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/support/suite-times-reporter.js'],
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', ...LIVE] },
    { ...common, displayName: 'live', testRegex: LIVE },
  ],
};
