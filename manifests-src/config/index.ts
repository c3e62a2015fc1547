export * from './schema';
export * from './contract';
export * from './parse-config';
export type { InfraSettings } from './infra-schema';
export { PARTITION_DEFAULTS, withPartitionDefaults } from './partition-defaults';
export * from './capacity';
