import { execFileSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CHARTS } from '../../infra/lib/charts';

/** The operators the local cluster runs: the CDK stack's Helm releases of the same names. */
export type OperatorName = 'argocd' | 'keda' | 'externalSecrets';
export const OPERATORS: readonly OperatorName[] = ['externalSecrets', 'keda', 'argocd'];

/** Where an operator's source comes from and which release it is. */
export interface OperatorSource {
  /** Go module path (`go mod download -json <module>@<version>`). */
  readonly module: string;
  /** Module version: the operator's release tag. */
  readonly version: string;
  /** The release as the chart's images are tagged (the chart's appVersion). */
  readonly appVersion: string;
  /** `GOTOOLCHAIN` when the module needs a newer Go than the machine's. */
  readonly toolchain?: string;
  /** Folder of the CRDs inside the module. */
  readonly crdDir: string;
}

// TODO(merge): infra/lib/charts.ts is gaining `appVersion` + `goModule` per chart on another branch; then this table
// goes and operatorSource reads CHARTS[name]. Until then the operator releases are pinned here, once.
const PINS: Record<OperatorName, OperatorSource> = {
  argocd: { module: 'github.com/argoproj/argo-cd/v3', version: 'v3.6.1', appVersion: 'v3.6.1', toolchain: 'go1.27.3', crdDir: 'manifests/crds' },
  keda: { module: 'github.com/kedacore/keda/v2', version: 'v2.21.0', appVersion: '2.21.0', toolchain: 'go1.27.3', crdDir: 'config/crd/bases' },
  // 0.20.x: 1.x splits into nested modules that are neither in the download nor served, so it cannot be built here.
  externalSecrets: { module: 'github.com/external-secrets/external-secrets', version: 'v0.20.4', appVersion: 'v0.20.4', crdDir: 'config/crds/bases' },
};

/** Which release of an operator the local cluster builds, and from where. */
export function operatorSource(name: OperatorName): OperatorSource {
  return PINS[name];
}

/** The image repositories the operator's chart pulls by default (the references the local images carry). */
export function chartImages(name: OperatorName): readonly string[] {
  return CHARTS[name].images;
}

/** `${XDG_CACHE_HOME:-$HOME/.cache}/airflow-eks`: builds live outside the clone so fresh clones reuse them. */
export function cacheRoot(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'airflow-eks');
}

/** Folder holding an operator's built binaries. */
export function binDir(name: string, version: string): string {
  return join(cacheRoot(), 'bin', `${name}-${version}`);
}

const moduleDirs = new Map<string, string>();

/** The module's source in Go's module cache (downloaded on first use; read-only). */
export function moduleDir(source: Pick<OperatorSource, 'module' | 'version' | 'toolchain'>): string {
  const key = `${source.module}@${source.version}`;
  const cached = moduleDirs.get(key);
  if (cached) return cached;
  const env = { ...process.env, GOWORK: 'off', GOFLAGS: '-mod=mod', ...(source.toolchain ? { GOTOOLCHAIN: source.toolchain } : {}) };
  let out: string;
  try {
    out = execFileSync('go', ['mod', 'download', '-json', key], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`go mod download ${key} failed (Go toolchain and module proxy needed): ${(err as { stderr?: string }).stderr ?? err}`);
  }
  const info = JSON.parse(out) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`go mod download ${key} gave no source folder: ${info.Error ?? out}`);
  moduleDirs.set(key, info.Dir);
  return info.Dir;
}
