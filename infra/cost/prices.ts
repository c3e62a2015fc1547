/**
 * List prices used by `npm run cost`, per region: on-demand, Linux, per hour unless the key says otherwise.
 * Every figure carries the official page it belongs to, the date it was transcribed and whether it was
 * confirmed: `verified: false` means the figure could not be checked against that page on that date (it was
 * taken from memory or from a secondary source named in `note`). Check those before using them in a budget.
 * A region without a price for something says so (`null`) instead of guessing.
 */
export interface Price {
  readonly value: number;
  /** Official AWS pricing or documentation page the figure belongs to. */
  readonly url: string;
  /** Day the figure was transcribed or checked (UTC). */
  readonly date: string;
  readonly verified: boolean;
  readonly note?: string;
}

export type MwaaClass = 'mw1.micro' | 'mw1.small' | 'mw1.medium' | 'mw1.large' | 'mw1.xlarge' | 'mw1.2xlarge';

/**
 * Per MWAA class: the published DAG capacity, default task slots per worker, the class's worker ceiling, and one worker's vCPU and memory as the
 * environment-class documentation publishes them (MWAA_CLASS_DOC, read 2026-12-07; "GB" there is taken as GiB, the
 * larger reading, so what we compare against is never understated).
 */
export const MWAA_CLASSES: ReadonlyArray<{ readonly name: MwaaClass; readonly dags: number; readonly slotsPerWorker: number; readonly maxWorkers: number; readonly workerVcpu: number; readonly workerMemoryGiB: number }> = [
  // mw1.micro runs scheduler and worker in one container (1 vCPU, 3 GB) and does not autoscale: 3 slots, full stop.
  { name: 'mw1.micro', dags: 25, slotsPerWorker: 3, maxWorkers: 1, workerVcpu: 1, workerMemoryGiB: 3 },
  { name: 'mw1.small', dags: 50, slotsPerWorker: 5, maxWorkers: 25, workerVcpu: 1, workerMemoryGiB: 2 },
  { name: 'mw1.medium', dags: 250, slotsPerWorker: 10, maxWorkers: 25, workerVcpu: 2, workerMemoryGiB: 4 },
  { name: 'mw1.large', dags: 1000, slotsPerWorker: 20, maxWorkers: 25, workerVcpu: 4, workerMemoryGiB: 8 },
  { name: 'mw1.xlarge', dags: 2000, slotsPerWorker: 40, maxWorkers: 25, workerVcpu: 8, workerMemoryGiB: 24 },
  { name: 'mw1.2xlarge', dags: 4000, slotsPerWorker: 80, maxWorkers: 25, workerVcpu: 16, workerMemoryGiB: 48 },
];

/** MWAA's MaxWorkers when an environment does not set it (CloudFormation AWS::MWAA::Environment). */
export const MWAA_DEFAULT_MAX_WORKERS = 10;

/** Memory one task slot of an MWAA worker of `cls` gets, MiB. */
export function mwaaMemoryPerSlotMiB(cls: (typeof MWAA_CLASSES)[number]): number {
  return (cls.workerMemoryGiB * 1024) / cls.slotsPerWorker;
}
export const MWAA_CLASS_DOC = 'https://docs.aws.amazon.com/mwaa/latest/userguide/environment-class.html';

export interface MwaaPrices {
  /** Environment hour: scheduler(s), web server(s), metadata database and the first worker. */
  readonly environmentHour: Readonly<Partial<Record<MwaaClass, Price>>>;
  readonly workerHour: Readonly<Partial<Record<MwaaClass, Price>>>;
  readonly metaDbGbMonth: Price;
  /** MWAA Serverless: per task-hour of execution (1-minute minimum, per-second billing). */
  readonly serverlessTaskHour: Price | null;
}

export interface RegionPrices {
  readonly currency: 'USD' | 'CNY';
  readonly eksClusterHour: Price;
  /** EC2 Linux on-demand, Graviton. */
  readonly ec2Hour: Readonly<Record<string, Price>>;
  readonly ebsGp3GbMonth: Price;
  readonly publicIpv4Hour: Price;
  readonly natGatewayHour: Price;
  readonly natGatewayPerGb: Price;
  readonly interfaceEndpointHourPerAz: Price;
  readonly interfaceEndpointPerGb: Price;
  readonly albHour: Price;
  readonly albLcuHour: Price;
  readonly auroraInstanceHour: Readonly<Record<string, Price>>;
  readonly auroraAcuHour: Price;
  readonly auroraStorageGbMonth: Price;
  readonly auroraIoPerMillion: Price;
  readonly cacheNodeHour: Readonly<Record<'valkey' | 'redis', Readonly<Record<string, Price>>>>;
  readonly efsStandardGbMonth: Price;
  readonly logsIngestPerGb: Price;
  readonly logsStoredGbMonth: Price;
  readonly kmsKeyMonth: Price;
  readonly secretMonth: Price;
  readonly mwaa: MwaaPrices | null;
}

export const AS_OF = '2026-11-25';
const p = (value: number, url: string, verified: boolean, note?: string): Price => ({ value, url, date: AS_OF, verified, ...(note ? { note } : {}) });
const map = (url: string, verified: boolean, values: Record<string, number>, note?: string): Record<string, Price> =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, p(v, url, verified, note)]));

const US = {
  eks: 'https://aws.amazon.com/eks/pricing/',
  ec2: 'https://aws.amazon.com/ec2/pricing/on-demand/',
  ebs: 'https://aws.amazon.com/ebs/pricing/',
  vpc: 'https://aws.amazon.com/vpc/pricing/',
  privatelink: 'https://aws.amazon.com/privatelink/pricing/',
  elb: 'https://aws.amazon.com/elasticloadbalancing/pricing/',
  aurora: 'https://aws.amazon.com/rds/aurora/pricing/',
  elasticache: 'https://aws.amazon.com/elasticache/pricing/',
  efs: 'https://aws.amazon.com/efs/pricing/',
  cloudwatch: 'https://aws.amazon.com/cloudwatch/pricing/',
  kms: 'https://aws.amazon.com/kms/pricing/',
  secrets: 'https://aws.amazon.com/secrets-manager/pricing/',
  mwaa: 'https://aws.amazon.com/managed-workflows-for-apache-airflow/pricing/',
};
const NOT_READ = 'official page not readable from the machine that wrote this; figure from memory of the page';
const MWAA_SECONDARY = 'official page not read; matches third-party transcriptions of it (dev.classmethod.jp, c3x.dev, 2025)';

const CN = {
  eks: 'https://www.amazonaws.cn/en/eks/pricing/',
  ec2: 'https://www.amazonaws.cn/en/ec2/pricing/',
  ebs: 'https://www.amazonaws.cn/en/ebs/pricing/',
  vpc: 'https://www.amazonaws.cn/en/vpc/pricing/',
  elb: 'https://www.amazonaws.cn/en/elasticloadbalancing/pricing/',
  aurora: 'https://www.amazonaws.cn/en/rds/aurora/pricing/',
  elasticache: 'https://www.amazonaws.cn/en/elasticache/pricing/',
  efs: 'https://www.amazonaws.cn/en/efs/pricing/',
  cloudwatch: 'https://www.amazonaws.cn/en/cloudwatch/pricing/',
  kms: 'https://www.amazonaws.cn/en/kms/pricing/',
  secrets: 'https://www.amazonaws.cn/en/secrets-manager/pricing/',
};

export const PRICE_TABLE: { readonly asOf: string; readonly hoursPerMonth: number; readonly regions: Readonly<Record<string, RegionPrices>> } = {
  asOf: AS_OF,
  hoursPerMonth: 730,
  regions: {
    'us-east-1': {
      currency: 'USD',
      eksClusterHour: p(0.1, US.eks, false, NOT_READ),
      ec2Hour: map(US.ec2, false, { 't4g.nano': 0.0042, 't4g.micro': 0.0084, 't4g.small': 0.0168, 't4g.medium': 0.0336, 't4g.large': 0.0672, 'm7g.medium': 0.0408, 'm7g.large': 0.0816, 'm7g.xlarge': 0.1632, 'm7g.2xlarge': 0.3264, 'c7g.large': 0.0725, 'r7g.large': 0.1071, 'm8g.large': 0.08976 }, NOT_READ),
      ebsGp3GbMonth: p(0.08, US.ebs, false, NOT_READ),
      publicIpv4Hour: p(0.005, US.vpc, false, NOT_READ),
      natGatewayHour: p(0.045, US.vpc, false, NOT_READ),
      natGatewayPerGb: p(0.045, US.vpc, false, NOT_READ),
      interfaceEndpointHourPerAz: p(0.01, US.privatelink, false, NOT_READ),
      interfaceEndpointPerGb: p(0.01, US.privatelink, false, NOT_READ),
      albHour: p(0.0225, US.elb, false, NOT_READ),
      albLcuHour: p(0.008, US.elb, false, NOT_READ),
      auroraInstanceHour: map(US.aurora, false, { 'db.r7g.large': 0.276, 'db.r7g.xlarge': 0.552, 'db.t4g.medium': 0.073 }, NOT_READ),
      auroraAcuHour: p(0.12, US.aurora, false, 'official page not read; the same figure appears in third-party guides (2026)'),
      auroraStorageGbMonth: p(0.1, US.aurora, false, NOT_READ),
      auroraIoPerMillion: p(0.2, US.aurora, false, NOT_READ),
      cacheNodeHour: {
        redis: map(US.elasticache, false, { 'cache.t4g.micro': 0.016, 'cache.t4g.small': 0.032, 'cache.t4g.medium': 0.065, 'cache.m7g.large': 0.158, 'cache.r7g.large': 0.219 }, NOT_READ),
        // Valkey node-hours are listed 20% below Redis OSS.
        valkey: map(US.elasticache, false, { 'cache.t4g.micro': 0.0128, 'cache.t4g.small': 0.0256, 'cache.t4g.medium': 0.052, 'cache.m7g.large': 0.1264, 'cache.r7g.large': 0.1752 }, NOT_READ),
      },
      efsStandardGbMonth: p(0.3, US.efs, false, NOT_READ),
      logsIngestPerGb: p(0.5, US.cloudwatch, false, NOT_READ),
      logsStoredGbMonth: p(0.03, US.cloudwatch, false, NOT_READ),
      kmsKeyMonth: p(1, US.kms, false, NOT_READ),
      secretMonth: p(0.4, US.secrets, false, NOT_READ),
      mwaa: {
        environmentHour: {
          'mw1.micro': p(0.26, US.mwaa, false, 'not confirmed anywhere: placeholder until read from the official page'),
          'mw1.small': p(0.49, US.mwaa, false, MWAA_SECONDARY),
          'mw1.medium': p(0.74, US.mwaa, false, MWAA_SECONDARY),
          'mw1.large': p(0.99, US.mwaa, false, MWAA_SECONDARY),
          'mw1.xlarge': p(1.98, US.mwaa, false, 'not confirmed anywhere: assumed 2x mw1.large'),
          'mw1.2xlarge': p(3.96, US.mwaa, false, 'not confirmed anywhere: assumed 4x mw1.large'),
        },
        workerHour: {
          'mw1.small': p(0.055, US.mwaa, false, MWAA_SECONDARY),
          'mw1.medium': p(0.11, US.mwaa, false, MWAA_SECONDARY),
          'mw1.large': p(0.22, US.mwaa, false, MWAA_SECONDARY),
          'mw1.xlarge': p(0.44, US.mwaa, false, 'not confirmed anywhere: assumed 2x mw1.large'),
          'mw1.2xlarge': p(0.88, US.mwaa, false, 'not confirmed anywhere: assumed 4x mw1.large'),
        },
        metaDbGbMonth: p(0.1, US.mwaa, false, MWAA_SECONDARY),
        // MWAA Serverless exists (https://docs.aws.amazon.com/mwaa/latest/mwaa-serverless-userguide/what-is-mwaa-serverless.html):
        // billed per task execution time. 0.104/task-hour is the ap-northeast-1 figure a third party transcribed.
        serverlessTaskHour: p(0.104, US.mwaa, false, 'us-east-1 figure not found; ap-northeast-1 figure (dev.classmethod.jp, 2025-11-30) used'),
      },
    },
    'cn-north-1': {
      currency: 'CNY',
      eksClusterHour: p(0.688, CN.eks, false, NOT_READ),
      ec2Hour: map(CN.ec2, false, { 't4g.nano': 0.034, 't4g.small': 0.135, 't4g.medium': 0.27, 't4g.large': 0.54, 'm7g.large': 0.641, 'm7g.xlarge': 1.282, 'm6g.large': 0.569, 'c7g.large': 0.569, 'r7g.large': 0.842 }, NOT_READ),
      ebsGp3GbMonth: p(0.53, CN.ebs, false, NOT_READ),
      publicIpv4Hour: p(0.034, CN.vpc, false, NOT_READ),
      natGatewayHour: p(0.41, CN.vpc, false, NOT_READ),
      natGatewayPerGb: p(0.41, CN.vpc, false, NOT_READ),
      interfaceEndpointHourPerAz: p(0.09, CN.vpc, false, NOT_READ),
      interfaceEndpointPerGb: p(0.07, CN.vpc, false, NOT_READ),
      albHour: p(0.156, CN.elb, false, NOT_READ),
      albLcuHour: p(0.072, CN.elb, false, NOT_READ),
      auroraInstanceHour: map(CN.aurora, false, { 'db.r7g.large': 2.23, 'db.r6g.large': 2.03, 'db.t4g.medium': 0.59 }, NOT_READ),
      auroraAcuHour: p(0.97, CN.aurora, false, NOT_READ),
      auroraStorageGbMonth: p(0.78, CN.aurora, false, NOT_READ),
      auroraIoPerMillion: p(1.56, CN.aurora, false, NOT_READ),
      cacheNodeHour: {
        redis: map(CN.elasticache, false, { 'cache.t4g.micro': 0.13, 'cache.t4g.small': 0.26, 'cache.t4g.medium': 0.52, 'cache.m7g.large': 1.26, 'cache.r7g.large': 1.75 }, NOT_READ),
        valkey: map(CN.elasticache, false, { 'cache.t4g.micro': 0.104, 'cache.t4g.small': 0.208, 'cache.t4g.medium': 0.416, 'cache.m7g.large': 1.008, 'cache.r7g.large': 1.4 }, NOT_READ),
      },
      efsStandardGbMonth: p(2.52, CN.efs, false, NOT_READ),
      logsIngestPerGb: p(4.1, CN.cloudwatch, false, NOT_READ),
      logsStoredGbMonth: p(0.25, CN.cloudwatch, false, NOT_READ),
      kmsKeyMonth: p(7, CN.kms, false, NOT_READ),
      secretMonth: p(2.72, CN.secrets, false, NOT_READ),
      // MWAA is documented for the China regions, but no CNY prices were found: the comparison shows n/a.
      mwaa: null,
    },
  },
};

/** Every price of a region with its path, for the provenance listing and its test. */
export function allPrices(r: RegionPrices): Array<[string, Price]> {
  const out: Array<[string, Price]> = [];
  const walk = (path: string, v: unknown) => {
    if (v && typeof v === 'object' && 'value' in v && 'url' in v) out.push([path, v as Price]);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(path ? `${path}.${k}` : k, x);
  };
  walk('', r);
  return out;
}
