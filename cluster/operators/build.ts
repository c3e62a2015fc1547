import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { binDir, operatorSource, type OperatorName, type OperatorSource } from './sources';

/** How an operator's binaries come out of its Go module. */
interface OperatorBuild {
  /** Cache folder name: `bin/<cacheName>-<version>/`. */
  readonly cacheName: string;
  /** Binary name -> package inside the module. */
  readonly binaries: Readonly<Record<string, string>>;
  /** `replace` lines pointing at nested modules the download does not contain (their published versions are used). */
  readonly dropReplaces?: readonly string[];
  /** Folders an `embed` needs that are not built here (e.g. Argo CD's UI bundle). */
  readonly placeholders?: readonly string[];
}

const BUILDS: Record<OperatorName, OperatorBuild> = {
  // One binary; each component is the same file under its own name (argv[0]), as in the upstream image.
  argocd: {
    cacheName: 'argocd',
    binaries: { argocd: './cmd' },
    dropReplaces: ['github.com/argoproj/argo-cd/gitops-engine/v3'],
    placeholders: ['ui/dist/app'],
  },
  // The operator and the metrics API server (the admission webhooks are optional and not installed locally).
  keda: { cacheName: 'keda', binaries: { keda: './cmd/operator', 'keda-adapter': './cmd/adapter' } },
  // One binary; the webhook and cert-controller are subcommands of it.
  externalSecrets: { cacheName: 'external-secrets', binaries: { 'external-secrets': '.' } },
};

/** Path of one built binary of an operator (it may not exist yet). */
export function operatorBinary(name: OperatorName, binary: string): string {
  return join(binDir(BUILDS[name].cacheName, operatorSource(name).version), binary);
}

/** The binaries an operator build produces. */
export function operatorBinaries(name: OperatorName): string[] {
  return Object.keys(BUILDS[name].binaries);
}

/** True when every binary of the operator is in the cache. */
export function operatorBuilt(name: OperatorName): boolean {
  return operatorBinaries(name).every((b) => existsSync(operatorBinary(name, b)));
}

/**
 * Runs build-go-module.sh for one module at the operator's pinned version (no-op when the binaries exist):
 * `options` are its --drop-replace/--placeholder/--add flags, `binaries` maps binary name -> package.
 */
function buildInModule(cacheName: string, source: OperatorSource, options: readonly string[], binaries: Readonly<Record<string, string>>, what: string): void {
  const args = [join(__dirname, 'build-go-module.sh'), '--name', cacheName, '--module', `${source.module}@${source.version}`];
  if (source.toolchain) args.push('--toolchain', source.toolchain);
  args.push(...options, ...Object.entries(binaries).map(([bin, pkg]) => `${bin}=${pkg}`));
  const run = spawnSync('bash', args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (run.status !== 0) throw new Error(`building ${what} ${source.version} from ${source.module} failed (exit ${run.status}); see the go build output above`);
}

/** Builds an operator's binaries into the cache (no-op when present); returns the seconds it took. */
export function buildOperator(name: OperatorName): number {
  const build = BUILDS[name];
  const options = [...(build.dropReplaces ?? []).flatMap((m) => ['--drop-replace', m]), ...(build.placeholders ?? []).flatMap((p) => ['--placeholder', p])];
  const started = Date.now();
  buildInModule(build.cacheName, operatorSource(name), options, build.binaries, name);
  return (Date.now() - started) / 1000;
}

/** Our command built inside KEDA's module (cluster/operators/keda-scaler-probe): KEDA's PostgreSQL scaler, run by tests. */
const PROBE_DIR = join(__dirname, 'keda-scaler-probe');
const PROBE_PACKAGE_DIR = 'cmd/airflow-eks-scaler-probe';

/** Cache name of the probe: a hash of our source (binDir adds the KEDA release), so a changed probe is built again. */
function probeBuildName(): string {
  const hash = createHash('sha256');
  for (const f of readdirSync(PROBE_DIR).sort()) hash.update(f).update(readFileSync(join(PROBE_DIR, f)));
  return `keda-scaler-probe-${hash.digest('hex').slice(0, 12)}`;
}

/** Path of the KEDA scaler probe, built on first use. */
export function kedaScalerProbe(): string {
  const source = operatorSource('keda');
  const name = probeBuildName();
  const binary = join(binDir(name, source.version), 'keda-scaler-probe');
  if (!existsSync(binary)) buildInModule(name, source, ['--add', `${PROBE_PACKAGE_DIR}=${PROBE_DIR}`], { 'keda-scaler-probe': `./${PROBE_PACKAGE_DIR}` }, 'the KEDA scaler probe against KEDA');
  if (!existsSync(binary)) throw new Error(`the KEDA scaler probe build left no ${binary}`);
  return binary;
}
