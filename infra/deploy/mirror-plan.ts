import type { EnvironmentConfig } from '../../manifests-src/config';
import { CHARTS, chartImages, mirrorChartRepository, type ChartSpec } from '../lib/charts';
import { mirrorPairs } from '../../docker/image-config';

/** A chart to copy: from its upstream repository to `<mirror>/charts/<chart>:<version>`. */
export interface ChartCopy {
  readonly chart: string;
  readonly version: string;
  readonly upstream: string;
  readonly repository: string;
}

/** An image to copy: `source` (registry/path:tag) to `<mirror>/<repository>:<tag>`. */
export interface ImageCopy {
  readonly source: string;
  readonly repository: string;
  readonly tag: string;
}

/** Everything an environment with `images.mirrorRegistry` installs from the mirror: the charts, their images, ours. */
export function mirrorPlan(env: EnvironmentConfig): { charts: ChartCopy[]; images: ImageCopy[] } {
  const specs: ChartSpec[] = Object.values(CHARTS);
  const charts = specs.map((c) => ({ chart: c.chart, version: c.version, upstream: c.repository, repository: mirrorChartRepository(c) }));
  const fromCharts = specs.flatMap((c) => chartImages(c));
  const fromManifests = mirrorPairs(env).map((p) => ({ source: p.source, repository: p.repository, tag: p.source.slice(p.source.lastIndexOf(':') + 1) }));
  const seen = new Set<string>();
  const images = [...fromCharts, ...fromManifests].filter((i) => !seen.has(i.source) && seen.add(i.source));
  return { charts, images };
}

/** Whether the mirror is this account's ECR in the environment's region (then the AWS CLI can look into it). */
export function mirrorIsOwnEcr(env: EnvironmentConfig): boolean {
  const suffix = env.aws.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return env.images.mirrorRegistry === `${env.aws.account}.dkr.ecr.${env.aws.region}.${suffix}`;
}
