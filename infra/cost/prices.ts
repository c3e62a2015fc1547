/**
 * On-demand list prices used by `npm run cost`, per region, per hour unless the key says otherwise.
 * Transcribed by hand from the public AWS price pages named in `source` on `asOf`; the machine that
 * writes this file has no network, so check the figures against the pages before using them in a budget.
 * A price of `null` means "not known / service not offered there": the estimate says so instead of guessing.
 */
export interface RegionPrices {
  readonly currency: 'USD' | 'CNY';
  readonly source: readonly string[];
  readonly eksClusterHour: number;
  /** EC2 Linux on-demand, Graviton. */
  readonly ec2Hour: Readonly<Record<string, number>>;
  readonly natGatewayHour: number;
  readonly natGatewayPerGb: number;
  readonly interfaceEndpointHourPerAz: number;
  readonly albHour: number;
  /** Aurora PostgreSQL (Standard storage configuration). */
  readonly auroraInstanceHour: Readonly<Record<string, number>>;
  readonly auroraAcuHour: number;
  readonly auroraStorageGbMonth: number;
  /** ElastiCache node-hours per engine. */
  readonly cacheNodeHour: Readonly<Record<'valkey' | 'redis', Readonly<Record<string, number>>>>;
  readonly efsStandardGbMonth: number;
  readonly logsIngestPerGb: number;
  readonly secretMonth: number;
  /** Amazon MWAA environment classes (scheduler + web server + 1 worker included) and additional workers. */
  readonly mwaa: { readonly environmentHour: Readonly<Record<MwaaClass, number>>; readonly workerHour: Readonly<Record<MwaaClass, number>>; readonly metaDbGbMonth: number } | null;
}

export type MwaaClass = 'mw1.small' | 'mw1.medium' | 'mw1.large';

export const PRICE_TABLE: { readonly asOf: string; readonly hoursPerMonth: number; readonly regions: Readonly<Record<string, RegionPrices>> } = {
  asOf: '2026-11-25',
  hoursPerMonth: 730,
  regions: {
    'us-east-1': {
      currency: 'USD',
      source: ['https://aws.amazon.com/eks/pricing/', 'https://aws.amazon.com/ec2/pricing/on-demand/', 'https://aws.amazon.com/rds/aurora/pricing/', 'https://aws.amazon.com/elasticache/pricing/', 'https://aws.amazon.com/vpc/pricing/', 'https://aws.amazon.com/managed-workflows-for-apache-airflow/pricing/'],
      eksClusterHour: 0.1,
      ec2Hour: { 'm7g.large': 0.0816, 'm7g.xlarge': 0.1632, 'm7g.2xlarge': 0.3264, 'c7g.large': 0.0725, 'r7g.large': 0.1071, 'm8g.large': 0.08976 },
      natGatewayHour: 0.045,
      natGatewayPerGb: 0.045,
      interfaceEndpointHourPerAz: 0.01,
      albHour: 0.0225,
      auroraInstanceHour: { 'db.r7g.large': 0.276, 'db.r7g.xlarge': 0.552, 'db.t4g.medium': 0.073 },
      auroraAcuHour: 0.12,
      auroraStorageGbMonth: 0.1,
      cacheNodeHour: { redis: { 'cache.m7g.large': 0.158, 'cache.t4g.medium': 0.065, 'cache.r7g.large': 0.219 }, valkey: { 'cache.m7g.large': 0.1264, 'cache.t4g.medium': 0.052, 'cache.r7g.large': 0.1752 } },
      efsStandardGbMonth: 0.3,
      logsIngestPerGb: 0.5,
      secretMonth: 0.4,
      mwaa: { environmentHour: { 'mw1.small': 0.49, 'mw1.medium': 0.74, 'mw1.large': 0.99 }, workerHour: { 'mw1.small': 0.055, 'mw1.medium': 0.11, 'mw1.large': 0.22 }, metaDbGbMonth: 0.1 },
    },
    'cn-north-1': {
      currency: 'CNY',
      source: ['https://www.amazonaws.cn/en/eks/pricing/', 'https://www.amazonaws.cn/en/ec2/pricing/', 'https://www.amazonaws.cn/en/rds/aurora/pricing/', 'https://www.amazonaws.cn/en/elasticache/pricing/', 'https://www.amazonaws.cn/en/vpc/pricing/'],
      eksClusterHour: 0.688,
      ec2Hour: { 'm7g.large': 0.641, 'm7g.xlarge': 1.282, 'm6g.large': 0.569, 'c7g.large': 0.569, 'r7g.large': 0.842 },
      natGatewayHour: 0.41,
      natGatewayPerGb: 0.41,
      interfaceEndpointHourPerAz: 0.09,
      albHour: 0.156,
      auroraInstanceHour: { 'db.r7g.large': 2.23, 'db.r6g.large': 2.03, 'db.t4g.medium': 0.59 },
      auroraAcuHour: 0.97,
      auroraStorageGbMonth: 0.78,
      cacheNodeHour: { redis: { 'cache.m7g.large': 1.26, 'cache.t4g.medium': 0.52, 'cache.r7g.large': 1.75 }, valkey: { 'cache.m7g.large': 1.008, 'cache.t4g.medium': 0.416, 'cache.r7g.large': 1.4 } },
      efsStandardGbMonth: 2.52,
      logsIngestPerGb: 4.1,
      secretMonth: 2.72,
      // MWAA prices for the China regions are not in this table: shown as n/a.
      mwaa: null,
    },
  },
};
