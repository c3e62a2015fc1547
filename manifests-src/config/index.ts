export * from './schema';
export * from './contract';
export * from './load';
export type { InfraSettings } from './infra-schema';
export { PARTITION_DEFAULTS, withPartitionDefaults } from './partition-defaults';
