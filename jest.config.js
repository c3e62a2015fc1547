/** Type-checking happens once in `tsc --noEmit`; tsconfig's isolatedModules makes ts-jest only transpile (4x faster). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testTimeout: 60000,
};
