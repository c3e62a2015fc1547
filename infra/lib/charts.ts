import type { EnvironmentConfig } from '../../manifests-src/config';

/** Where the local Kubernetes cluster gets an operator from: its Go module (source, CRDs, sometimes the chart). */
export interface GoModuleSource {
  /** Module path as `go mod download -json <path>@<version>` takes it. */
  readonly path: string;
  /** Module version; the operator's release tag. */
  readonly version: string;
  /** Go toolchain the module needs when newer than the machine's (`GOTOOLCHAIN=...`). @default the installed one */
  readonly toolchain?: string;
  /** Folder of the Helm chart inside the module, when the operator ships it there (rendered by the chart tests). */
  readonly chartDir?: string;
  /** Folder of the CRDs inside the module. */
  readonly crdDir?: string;
}

/** A Helm chart the stack installs: where it comes from by default and which images it pulls. */
export interface ChartSpec {
  /** Chart name in its repository. */
  readonly chart: string;
  /** Pinned chart version (never "latest": installs must be reproducible). */
  readonly version: string;
  /** The operator's release the chart installs: the image tag of its main image (the chart's appVersion). */
  readonly appVersion: string;
  /** Upstream repository (HTTPS index, or oci:// ending in the chart name: CDK's Helm handler pulls exactly this). */
  readonly repository: string;
  /** Namespace the release goes to. */
  readonly namespace: string;
  /** Image repositories (registry/path) the chart pulls by default; mirrored to ECR for aws-cn. */
  readonly images: readonly string[];
  /** Tag of an image when it is not `appVersion` (the chart's own default for that image). */
  readonly imageTags?: Readonly<Record<string, string>>;
  /** Go module of the operator at `appVersion`, when the local cluster builds it or takes its chart/CRDs from it. */
  readonly goModule?: GoModuleSource;
  /** Why the local cluster cannot run this operator, when it cannot (read by the cluster scripts and the docs). */
  readonly notLocal?: string;
}

/**
 * Every chart and operator version, pinned here and nowhere else: the CDK stack installs these charts and the local
 * Kubernetes cluster builds the same operator releases from `goModule`. Upgrading = one entry here,
 * `npm run synth:infra`, review the template diff, rebuild the local operators. Newest releases that can also be built
 * and run locally (checked 2026-11-25). For aws-cn the mirror step copies charts to `<mirror>/charts/<chart>` and
 * images to `<mirror>/<path>`, and `chartSource` switches both.
 */
/** Karpenter's release: its controller chart and its CRD chart are published together, at the same version. */
const KARPENTER_VERSION = '1.15.1';

export const CHARTS = {
  karpenter: {
    chart: 'karpenter',
    version: KARPENTER_VERSION,
    appVersion: KARPENTER_VERSION,
    // oci:// with the chart name: the Helm handler runs `helm pull <repository> --version <v>` and ignores `chart`.
    repository: 'oci://public.ecr.aws/karpenter/karpenter',
    namespace: 'kube-system',
    images: ['public.ecr.aws/karpenter/controller'],
    // 1.15 supports Kubernetes 1.35+ (1.9.2 was the first for 1.35). The chart renders locally; the controller needs EC2.
    goModule: { path: 'github.com/aws/karpenter-provider-aws', version: 'v1.15.1', toolchain: 'go1.27.3', chartDir: 'charts/karpenter', crdDir: 'pkg/apis/crds' },
    notLocal: 'the controller launches EC2 instances: nothing to run without AWS (chart and CRDs are still checked)',
  },
  // Karpenter's CRDs as their own release (installed before the controller, which skips its crds/ folder): Helm
  // installs a chart's crds/ once and never upgrades them, so a Karpenter upgrade would run against old CRDs.
  karpenterCrd: {
    chart: 'karpenter-crd',
    version: KARPENTER_VERSION,
    appVersion: KARPENTER_VERSION,
    repository: 'oci://public.ecr.aws/karpenter/karpenter-crd',
    namespace: 'kube-system',
    images: [],
    notLocal: 'CRDs only: the same CRDs as the karpenter entry (its goModule crdDir), which the local checks already use',
  },
  keda: {
    chart: 'keda',
    version: '2.21.0',
    appVersion: '2.21.0',
    repository: 'https://kedacore.github.io/charts',
    namespace: 'keda',
    images: ['ghcr.io/kedacore/keda', 'ghcr.io/kedacore/keda-metrics-apiserver', 'ghcr.io/kedacore/keda-admission-webhooks'],
    // The chart lives in kedacore/charts, which is not a Go module: the chart tests check our values against its documented keys.
    goModule: { path: 'github.com/kedacore/keda/v2', version: 'v2.21.0', toolchain: 'go1.27.3', crdDir: 'config/crd/bases' },
  },
  albController: {
    chart: 'aws-load-balancer-controller',
    version: '3.5.0',
    appVersion: 'v3.5.0',
    repository: 'https://aws.github.io/eks-charts',
    namespace: 'kube-system',
    images: ['public.ecr.aws/eks/aws-load-balancer-controller'],
    // sigs.k8s.io/aws-load-balancer-controller tags v2+/v3 without a /vN module path: the module proxy refuses them
    // (403), so neither the chart (helm/aws-load-balancer-controller) nor the binary is obtainable at this version.
    notLocal: 'needs the ELB/EC2 APIs; module versions after v1.1.9 are refused by the Go module proxy',
  },
  externalSecrets: {
    chart: 'external-secrets',
    // Stays on 0.20.x: 1.x splits apis/ and providers into nested modules replaced by local paths that are neither in
    // the module download nor served, so 1.x cannot be built for the local cluster. Same release on both sides.
    version: '0.20.4',
    appVersion: 'v0.20.4',
    repository: 'https://charts.external-secrets.io',
    namespace: 'external-secrets',
    images: ['ghcr.io/external-secrets/external-secrets'],
    goModule: { path: 'github.com/external-secrets/external-secrets', version: 'v0.20.4', chartDir: 'deploy/charts/external-secrets', crdDir: 'config/crds/bases' },
  },
  reloader: {
    chart: 'reloader',
    version: '2.2.17',
    appVersion: 'v1.4.22',
    repository: 'https://stakater.github.io/stakater-charts',
    namespace: 'reloader',
    images: ['ghcr.io/stakater/reloader'],
    // github.com/stakater/Reloader is refused (403) by the Go module proxy in every form: no binary, no chart here.
    notLocal: 'its Go module is refused by the module proxy, so it cannot be built or its chart rendered locally',
  },
  argocd: {
    chart: 'argo-cd',
    // argo-helm chart meant to carry appVersion v3.6.1; not confirmed from here (the newest release seen was for 3.5.x).
    // The deploy preflight (chartChecks) stops before anything is created if this version is not published.
    version: '10.10.1',
    appVersion: 'v3.6.1',
    repository: 'https://argoproj.github.io/argo-helm',
    namespace: 'argocd',
    images: ['quay.io/argoproj/argocd', 'ecr-public.aws.com/docker/library/redis'],
    // Redis as Argo CD v3.6.1 itself ships it (manifests/base/redis of the module): the local cluster runs the same.
    imageTags: { 'ecr-public.aws.com/docker/library/redis': '8.10.1-alpine' },
    // The chart lives in argoproj/argo-helm (not a Go module). The module's go.mod replaces gitops-engine/v3 with a
    // nested folder: drop that replace line so the published gitops-engine/v3 v3.6.1 is used.
    goModule: { path: 'github.com/argoproj/argo-cd/v3', version: 'v3.6.1', toolchain: 'go1.27.3', crdDir: 'manifests/crds' },
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

/**
 * Where a chart is pulled from: upstream, or `oci://<mirror>/charts/<chart>` when images are mirrored. For oci://
 * the repository must end in the chart name: CDK's Helm handler runs `helm pull <repository> --version <v>` and
 * ignores `chart` (aws-cdk-lib custom-resource-handlers, aws-eks-v2 kubectl-handler helm/__init__.py).
 */
export function chartSource(env: Pick<EnvironmentConfig, 'images'>, name: ChartName): { chart: string; repository: string; version: string } {
  const spec: ChartSpec = CHARTS[name];
  const repository = env.images.mirrorRegistry ? `oci://${env.images.mirrorRegistry}/${mirrorChartRepository(spec)}` : spec.repository;
  return { chart: spec.chart, repository, version: spec.version };
}

/** ECR repository (inside the mirror registry) holding a chart: `charts/<chart>`, tag = chart version. */
export function mirrorChartRepository(spec: Pick<ChartSpec, 'chart'>): string {
  return `charts/${spec.chart}`;
}

/** ECR repository names the mirror needs: every chart and every chart image, by path. */
export function mirroredRepositoryNames(): string[] {
  const charts = Object.values(CHARTS).map((c) => mirrorChartRepository(c));
  const images = Object.values(CHARTS).flatMap((c) => c.images.map(imagePath));
  return [...new Set([...charts, ...images])].sort();
}

/** Every image a chart pulls, with its tag: what the mirror copies and the preflight looks for. */
export function chartImages(spec: ChartSpec): Array<{ source: string; repository: string; tag: string }> {
  return spec.images.map((image) => {
    const tag = spec.imageTags?.[image] ?? spec.appVersion;
    return { source: `${image}:${tag}`, repository: imagePath(image), tag };
  });
}
