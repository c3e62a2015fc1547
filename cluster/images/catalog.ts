/**
 * Which local recipe produces each image reference of dist/<env>. A reference is matched to the
 * config image it came from (the zod `images` table, the one source of the references), and each
 * config image has one recipe here, or a stated reason why it cannot be built on this machine.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { imageRef, loadEnvironments, type Images } from '../../manifests-src/config';
import { localCaCert } from '../node/pki';
import { KUBERNETES_VERSION } from '../node/layout';
import { distImageReferences, normalizeReference } from './references';
import { FLUENT_BIT_OF_AWS_RELEASE } from '../../manifests-src/platform/fluent-bit';

/** The sandbox ("pause") image containerd's config names; the cluster passes its own when it differs. */
export const DEFAULT_SANDBOX_IMAGE = 'registry.k8s.io/pause:3.10';

type ImageKey = Exclude<keyof Images, 'mirrorRegistry'>;

export interface Output {
  /** Reference the image is tagged with (normalized, as containerd names it). */
  ref: string;
  /** Cache file name of its docker-archive: <name>-<key>.tar. */
  file: string;
}

export interface Recipe {
  name: string;
  /** Hash of every input (scripts, locks, versions, architecture): the cache key. */
  key: string;
  outputs: Output[];
  /** Command (run from the repository root) that writes every output archive; `archive(ref)` gives paths. */
  command(archive: (ref: string) => string): string[];
  /** Recipes whose images must exist in podman before this one builds (a FROM). */
  needs: Recipe[];
}

export interface Unavailable {
  ref: string;
  reason: string;
}

export interface ImagePlan {
  /** Every recipe to run, dependencies first. */
  recipes: Recipe[];
  /** dist/ reference -> the recipe output that provides it. */
  provides: Map<string, { recipe: Recipe; output: Output }>;
  unavailable: Unavailable[];
  sandboxImage: string;
}

/** Why an image dist/ references cannot be built here (checked facts, see docs/local-cluster-images.md). */
export const CANNOT_BUILD: Partial<Record<ImageKey, string>> = {};

/**
 * An image without a recipe is excused only when CANNOT_BUILD names it with its reason; any other is an error,
 * so a new image in the config cannot slip into the cluster suite as "not buildable here" unnoticed.
 */
export function declaredUnbuildable(envName: string, ref: string, key: string, reasons: Readonly<Partial<Record<string, string>>> = CANNOT_BUILD): Unavailable {
  const reason = reasons[key];
  if (!reason) {
    throw new Error(`dist/${envName} uses image ${ref} (images.${key}), which has no recipe in cluster/images/catalog.ts: add one, or, if it truly cannot be built here, name it in CANNOT_BUILD with the checked reason`);
  }
  return { ref, reason };
}

/** The Fluent Bit version an aws-for-fluent-bit release bundles; an unlisted release is refused with the fix. */
export function bundledFluentBit(awsForFluentBitTag: string): string {
  const version = FLUENT_BIT_OF_AWS_RELEASE[awsForFluentBitTag];
  if (!version) {
    throw new Error(`images.fluentBit.tag ${awsForFluentBitTag}: which Fluent Bit it bundles is unknown; add it to FLUENT_BIT_OF_AWS_RELEASE in manifests-src/platform/fluent-bit.ts from the aws-for-fluent-bit release notes`);
  }
  return version;
}

/**
 * Why an image built from a public source no registry serves cannot be built on this machine (the source is not at
 * hand: the script's `--check` says what is missing and how to get it), or undefined when it can.
 */
export function sourceMissing(repo: string, script: string, args: readonly string[]): string | undefined {
  try {
    execFileSync('bash', [join(repo, script), '--check', ...args], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    const x = e as { status?: number; stderr?: Buffer };
    if (x.status === 3) return x.stderr!.toString().trim();
    throw e;
  }
}

/** The public repository of the PgBouncer exporter (upstream of the Airflow project's `airflow-pgbouncer-exporter-*` tags). */
export const PGBOUNCER_EXPORTER_SOURCE = 'https://github.com/jbub/pgbouncer_exporter';

/** The exporter version a tag names (upstream's `v<version>`, or the Airflow project's `airflow-pgbouncer-exporter-<date>-<version>`). */
export function pgbouncerExporterVersion(tag: string): string {
  const m = /^(?:v|airflow-pgbouncer-exporter-\d{4}\.\d{2}\.\d{2}-)(\d+\.\d+\.\d+)$/.exec(tag);
  if (!m) throw new Error(`images.pgbouncerExporter.tag ${tag}: neither v<version> nor airflow-pgbouncer-exporter-<date>-<version>; the local cluster builds ${PGBOUNCER_EXPORTER_SOURCE} at the version the tag names`);
  return m[1];
}

const arch = (): string => execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();

function hashOf(repo: string, files: string[], params: string[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(f).update('\0').update(readFileSync(join(repo, f))).update('\0');
  for (const p of params) h.update(p).update('\0');
  return h.digest('hex').slice(0, 16);
}

/** The lock installed for this machine's architecture (docker/airflow/Dockerfile picks it the same way). */
export function airflowLockFor(hostArch: string): string {
  if (hostArch === 'amd64') return 'requirements/airflow.lock';
  if (hostArch === 'arm64') return 'docker/airflow/requirements.lock';
  throw new Error(`no Airflow lock for architecture ${hostArch}: add one (requirements/*.lock) or build on amd64/arm64`);
}

/** The base image docker/airflow/Dockerfile builds on: its `ARG BASE_IMAGE=` default, variables expanded. */
export function dockerfileBaseImage(repo: string): string {
  const text = readFileSync(join(repo, 'docker/airflow/Dockerfile'), 'utf8');
  const args = new Map<string, string>();
  for (const m of text.matchAll(/^ARG\s+(\w+)=(\S+)\s*$/gm)) {
    args.set(m[1], m[2].replace(/\$\{(\w+)\}/g, (_, v: string) => args.get(v) ?? ''));
  }
  const base = args.get('BASE_IMAGE');
  if (!base) throw new Error('docker/airflow/Dockerfile: no `ARG BASE_IMAGE=<image>` default; add one (FROM ${BASE_IMAGE})');
  return normalizeReference(base);
}

/** Plans the images for dist/<envName> of the repository at `repo`. */
export function planImages(repo: string, envName = 'dev', sandboxImage = DEFAULT_SANDBOX_IMAGE): ImagePlan {
  const env = loadEnvironments().find((e) => e.name === envName);
  if (!env) throw new Error(`no environment named "${envName}" in the committed config`);
  const hostArch = arch();
  const lib = ['cluster/images/lib.sh'];
  const rootfs = [...lib, 'cluster/images/rootfs.sh'];
  const one = (name: string, key: string, ref: string): Output => ({ ref, file: `${name}-${key}.tar` });

  // Airflow base (official image layout) and the project image on top of it.
  const baseRef = dockerfileBaseImage(repo);
  const lock = airflowLockFor(hostArch);
  const baseKey = hashOf(
    repo,
    [...rootfs, 'cluster/images/airflow/build-base.sh', 'cluster/images/airflow/entrypoint.sh', 'local/install.sh', lock],
    [baseRef, hostArch],
  );
  const base: Recipe = {
    name: 'airflow-base',
    key: baseKey,
    outputs: [one('airflow-base', baseKey, baseRef)],
    command: (a) => ['bash', 'cluster/images/airflow/build-base.sh', baseRef, a(baseRef)],
    needs: [],
  };
  const projectRefConfigured = normalizeReference(imageRef(env, 'airflow'));
  const projectRef = projectRefConfigured === baseRef ? `localhost/airflow-eks/airflow:${env.airflow.version}` : projectRefConfigured;
  const projectKey = hashOf(
    repo,
    [...lib, 'cluster/images/airflow/build-project.sh', 'docker/airflow/Dockerfile', 'requirements/airflow.lock', 'docker/airflow/requirements.lock'],
    [projectRef, baseKey, hostArch, readFileSync(localCaCert(), 'utf8')],
  );
  const project: Recipe = {
    name: 'airflow',
    key: projectKey,
    outputs: [one('airflow', projectKey, projectRef)],
    command: (a) => ['bash', 'cluster/images/airflow/build-project.sh', baseRef, projectRef, a(projectRef), localCaCert()],
    needs: [base],
  };

  const pgbRef = normalizeReference(imageRef(env, 'pgbouncer'));
  // The Debian package version docker/pgbouncer/Dockerfile installs: the config's pin, for both.
  const { suite: pgbSuite, packageVersion: pgbVersion } = env.images.pgbouncer;
  const pgbKey = hashOf(repo, [...rootfs, 'cluster/images/pgbouncer/build.sh'], [pgbRef, hostArch, pgbSuite, pgbVersion]);
  const pgbouncer: Recipe = {
    name: 'pgbouncer',
    key: pgbKey,
    outputs: [one('pgbouncer', pgbKey, pgbRef)],
    command: (a) => ['bash', 'cluster/images/pgbouncer/build.sh', pgbRef, a(pgbRef), pgbSuite, pgbVersion],
    needs: [],
  };
  // The PgBouncer exporter: the Airflow project's (jbub/pgbouncer_exporter) at the version its tag names, from source.
  const expRef = normalizeReference(imageRef(env, 'pgbouncerExporter'));
  const expVersion = pgbouncerExporterVersion(env.images.pgbouncerExporter.tag);
  const expMissing = sourceMissing(repo, 'cluster/build/git-source.sh', ['pgbouncer_exporter', PGBOUNCER_EXPORTER_SOURCE, `v${expVersion}`]);
  const expKey = hashOf(repo, [...lib, 'cluster/images/go-image.sh', 'cluster/images/pgbouncer/exporter-image.sh', 'cluster/build/git-source.sh'], [expRef, expVersion, hostArch]);
  const exporter: Recipe = {
    name: 'pgbouncer-exporter',
    key: expKey,
    outputs: [one('pgbouncer-exporter', expKey, expRef)],
    command: (a) => ['bash', 'cluster/images/pgbouncer/exporter-image.sh', expRef, a(expRef), expVersion],
    needs: [],
  };

  // StatsD exporter: the Go module at the version the reference's tag names.
  const statsdRef = normalizeReference(imageRef(env, 'statsdExporter'));
  const statsdVersion = env.images.statsdExporter.tag;
  const statsdKey = hashOf(repo, [...lib, 'cluster/images/go-image.sh'], [statsdRef, statsdVersion, hostArch]);
  const statsd: Recipe = {
    name: 'statsd-exporter',
    key: statsdKey,
    outputs: [one('statsd-exporter', statsdKey, statsdRef)],
    command: (a) => [
      'bash', 'cluster/images/go-image.sh', statsdRef, a(statsdRef), 'statsd_exporter', '65534',
      `github.com/prometheus/statsd_exporter@${statsdVersion}`,
    ],
    needs: [],
  };

  // Fluent Bit: the version the pinned aws-for-fluent-bit release bundles, from its public source.
  const fluentBitRef = normalizeReference(imageRef(env, 'fluentBit'));
  const fluentBitVersion = bundledFluentBit(env.images.fluentBit.tag);
  const fluentBitMissing = sourceMissing(repo, 'cluster/build/fluent-bit.sh', [fluentBitVersion]);
  const fluentBitKey = hashOf(repo, [...rootfs, 'cluster/images/fluent-bit/build.sh', 'cluster/build/fluent-bit.sh'], [fluentBitRef, fluentBitVersion, hostArch, readFileSync(localCaCert(), 'utf8')]);
  const fluentBit: Recipe = {
    name: 'fluent-bit',
    key: fluentBitKey,
    outputs: [one('fluent-bit', fluentBitKey, fluentBitRef)],
    command: (a) => ['bash', 'cluster/images/fluent-bit/build.sh', fluentBitRef, a(fluentBitRef), fluentBitVersion, localCaCert()],
    needs: [],
  };

  const sandboxRef = normalizeReference(sandboxImage);
  // The same pause binary (from the Kubernetes module's source) the cluster's nodes run as their sandbox.
  const pauseKey = hashOf(repo, ['cluster/images/pause-image.sh', 'cluster/build/pause.sh', 'cluster/node/static-image.sh'], [sandboxRef, hostArch, KUBERNETES_VERSION]);
  const pause: Recipe = {
    name: 'pause',
    key: pauseKey,
    outputs: [one('pause', pauseKey, sandboxRef)],
    command: (a) => ['env', `KUBERNETES_VERSION=${KUBERNETES_VERSION}`, 'bash', 'cluster/images/pause-image.sh', sandboxRef, a(sandboxRef)],
    needs: [],
  };

  const byKey: Partial<Record<ImageKey, { recipe: Recipe; output: Output }>> = {
    airflow: projectRefConfigured === baseRef ? { recipe: base, output: base.outputs[0] } : { recipe: project, output: project.outputs[0] },
    pgbouncer: { recipe: pgbouncer, output: pgbouncer.outputs[0] },
    ...(expMissing ? {} : { pgbouncerExporter: { recipe: exporter, output: exporter.outputs[0] } }),
    statsdExporter: { recipe: statsd, output: statsd.outputs[0] },
    ...(fluentBitMissing ? {} : { fluentBit: { recipe: fluentBit, output: fluentBit.outputs[0] } }),
  };
  const reasons: Partial<Record<ImageKey, string>> = { ...CANNOT_BUILD, ...(fluentBitMissing ? { fluentBit: fluentBitMissing } : {}), ...(expMissing ? { pgbouncerExporter: expMissing } : {}) };
  const keys = Object.keys(env.images).filter((k): k is ImageKey => k !== 'mirrorRegistry');
  const provides = new Map<string, { recipe: Recipe; output: Output }>();
  const unavailable: Unavailable[] = [];
  provides.set(sandboxRef, { recipe: pause, output: pause.outputs[0] });
  for (const ref of distImageReferences(join(repo, 'dist', envName))) {
    if (provides.has(ref)) continue;
    const key = keys.find((k) => normalizeReference(imageRef(env, k)) === ref);
    if (!key) {
      throw new Error(`dist/${envName} uses image ${ref}, which no config image (images.*) names; add it to the config, then a recipe in cluster/images/catalog.ts`);
    }
    const made = byKey[key];
    if (made) provides.set(ref, made);
    else unavailable.push(declaredUnbuildable(envName, ref, key, reasons));
  }
  return { recipes: [base, project, pgbouncer, exporter, statsd, fluentBit, pause], provides, unavailable, sandboxImage: sandboxRef };
}
