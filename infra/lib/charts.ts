import type { EnvironmentConfig } from '../../manifests-src/config';

/** A Helm chart the stack installs: where it comes from by default and which images it pulls. */
export interface ChartSpec {
  /** Chart name in its repository. */
  readonly chart: string;
  /** Pinned chart version (never "latest": installs must be reproducible). */
  readonly version: string;
  /** Upstream repository (HTTPS index or oci://). */
  readonly repository: string;
  /** Namespace the release goes to. */
  readonly namespace: string;
  /** Image repositories (registry/path) the chart pulls by default; mirrored to ECR for aws-cn. */
  readonly images: readonly string[];
}

/**
 * Every chart version, pinned here and nowhere else. Upgrading an add-on = one line here, `npm run synth:infra`,
 * review the template diff. For aws-cn, docker/mirror-images.sh copies charts to `<mirror>/charts/<chart>` and
 * images to `<mirror>/<path>`, and `chartSource` switches both.
 */
export const CHARTS = {
  karpenter: {
    chart: 'karpenter',
    version: '1.8.1',
    repository: 'oci://public.ecr.aws/karpenter',
    namespace: 'kube-system',
    images: ['public.ecr.aws/karpenter/controller'],
  },
  keda: {
    chart: 'keda',
    version: '2.18.1',
    repository: 'https://kedacore.github.io/charts',
    namespace: 'keda',
    images: ['ghcr.io/kedacore/keda', 'ghcr.io/kedacore/keda-metrics-apiserver', 'ghcr.io/kedacore/keda-admission-webhooks'],
  },
  albController: {
    chart: 'aws-load-balancer-controller',
    version: '1.14.1',
    repository: 'https://aws.github.io/eks-charts',
    namespace: 'kube-system',
    images: ['public.ecr.aws/eks/aws-load-balancer-controller'],
  },
  externalSecrets: {
    chart: 'external-secrets',
    version: '0.20.4',
    repository: 'https://charts.external-secrets.io',
    namespace: 'external-secrets',
    images: ['ghcr.io/external-secrets/external-secrets'],
  },
  reloader: {
    chart: 'reloader',
    version: '2.2.5',
    repository: 'https://stakater.github.io/stakater-charts',
    namespace: 'reloader',
    images: ['ghcr.io/stakater/reloader'],
  },
  argocd: {
    chart: 'argo-cd',
    version: '9.1.4',
    repository: 'https://argoproj.github.io/argo-helm',
    namespace: 'argocd',
    images: ['quay.io/argoproj/argocd', 'ecr-public.aws.com/docker/library/redis'],
  },
} as const satisfies Record<string, ChartSpec>;

export type ChartName = keyof typeof CHARTS;

/** Path of an image inside a registry: `ghcr.io/kedacore/keda` -> `kedacore/keda`. */
export function imagePath(image: string): string {
  return image.split('/').slice(1).join('/');
}

/** The registry images come from: the ECR mirror when configured (always in aws-cn), else upstream. */
export function imageRepository(env: Pick<EnvironmentConfig, 'images'>, upstream: string): string {
  return env.images.mirrorRegistry ? `${env.images.mirrorRegistry}/${imagePath(upstream)}` : upstream;
}

/** Where a chart is pulled from: upstream, or `oci://<mirror>/charts` when images are mirrored. */
export function chartSource(env: Pick<EnvironmentConfig, 'images'>, name: ChartName): { chart: string; repository: string; version: string } {
  const spec: ChartSpec = CHARTS[name];
  const repository = env.images.mirrorRegistry ? `oci://${env.images.mirrorRegistry}/charts` : spec.repository;
  return { chart: spec.chart, repository, version: spec.version };
}

/** ECR repository names the mirror needs: every chart and every chart image, by path. */
export function mirroredRepositoryNames(): string[] {
  const charts = Object.values(CHARTS).map((c) => `charts/${c.chart}`);
  const images = Object.values(CHARTS).flatMap((c) => c.images.map(imagePath));
  return [...new Set([...charts, ...images])].sort();
}
