import { execFileSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CHARTS, type ChartSpec } from '../../infra/lib/charts';

/** The operators the local cluster runs: the CDK stack's Helm releases of the same names. */
export type OperatorName = 'argocd' | 'keda' | 'externalSecrets';
export const OPERATORS: readonly OperatorName[] = ['externalSecrets', 'keda', 'argocd'];

/**
 * Releases whose controller needs AWS and does not run here, but whose CRDs are installed from the module, so the
 * dist/ objects of those kinds (Karpenter's NodePools and EC2NodeClass) are stored and checked against their schemas.
 */
export type CrdOnlyName = 'karpenter';
export const CRD_ONLY: readonly CrdOnlyName[] = ['karpenter'];

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

/**
 * Which release of an operator the local cluster builds, and from where: infra/lib/charts.ts (`appVersion` +
 * `goModule`) is the one pin table, so the CDK stack's Helm release and the local cluster run the same release.
 */
export function operatorSource(name: OperatorName | CrdOnlyName): OperatorSource {
  const spec: ChartSpec = CHARTS[name];
  const mod = spec.goModule;
  if (!mod?.crdDir) throw new Error(`infra/lib/charts.ts: ${name} needs goModule.path/version/crdDir for the local cluster`);
  return { module: mod.path, version: mod.version, appVersion: spec.appVersion, toolchain: mod.toolchain, crdDir: mod.crdDir };
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
