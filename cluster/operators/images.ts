import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { useArchive } from '../images/archive-cache';
import { SNAPSHOTTER } from '../node/layout';
import { operatorBinary } from './build';
import { chartImages, cacheRoot, moduleDir, OPERATORS, operatorSource, type OperatorName } from './sources';

/** An image archive the loader imports into containerd (`ctr -n k8s.io images import <archive>`). */
export interface ImageArchive {
  /** The reference the image carries: the chart's default image at the operator's release. */
  readonly ref: string;
  /** docker-archive tarball in the cache, keyed by the hash of everything that went into it. */
  readonly archive: string;
}

/** A file placed into an image. */
interface ImageFile {
  readonly from: string;
  readonly to: string;
  readonly mode: number;
}

/** What an operator image is made of: a base, files, and the image config the upstream image has. */
interface ImageRecipe {
  /** Cache name of the archive: `images/<name>-<key>.tar`. */
  readonly name: string;
  /** The operator the image belongs to. */
  readonly operator: OperatorName;
  readonly ref: string;
  /** Debian root filesystem (packages) or nothing (a static binary, CA bundle and /tmp, like distroless). */
  readonly base: { readonly debian: readonly string[] } | 'static';
  readonly files: readonly ImageFile[];
  /** Symlinks `{ link: target }`. */
  readonly links?: Readonly<Record<string, string>>;
  /** Folders created owned by `user` (the image's non-root user). */
  readonly ownedDirs?: readonly string[];
  /** Numeric user and its name (added to /etc/passwd and /etc/group). */
  readonly user: { readonly uid: number; readonly name: string; readonly home: string };
  readonly entrypoint: readonly string[];
  readonly workdir: string;
  readonly env: Readonly<Record<string, string>>;
}

const DEBIAN_SUITE = 'bookworm';
/** What Argo CD's repo-server runs (git, gpg, ssh, tini: the upstream image's packages) and the Redis server for its cache. */
const DEBIAN_PACKAGES = ['ca-certificates', 'git', 'gpg', 'gpg-agent', 'openssh-client', 'tini', 'redis-server'];
/** Bump when debian-rootfs.sh or rootfs.sh change what they produce (the key is otherwise suite + packages: a lint fix rebuilds nothing). */
const ROOTFS_REVISION = 2;
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/** Argo CD's Redis image tag: the one the module's own install manifest runs (the chart follows it). */
export function argoCdRedisTag(): string {
  const dir = moduleDir(operatorSource('argocd'));
  const yaml = readFileSync(join(dir, 'manifests/base/redis/argocd-redis-deployment.yaml'), 'utf8');
  const match = /^\s*image:\s*redis:(\S+)\s*$/m.exec(yaml);
  if (!match) throw new Error('no `image: redis:<tag>` in argo-cd manifests/base/redis/argocd-redis-deployment.yaml: the upstream layout changed');
  return match[1];
}

function recipes(): ImageRecipe[] {
  const argo = operatorSource('argocd');
  const keda = operatorSource('keda');
  const eso = operatorSource('externalSecrets');
  const [argoImage, redisImage] = chartImages('argocd');
  const [kedaImage, kedaMetricsImage] = chartImages('keda');
  const [esoImage] = chartImages('externalSecrets');
  const hack = join(moduleDir(argo), 'hack');
  const argoComponents = ['server', 'repo-server', 'cmp-server', 'application-controller', 'dex', 'notifications', 'applicationset-controller', 'k8s-auth', 'commit-server'];
  const staticUser = { uid: 65532, name: 'nonroot', home: '/home/nonroot' };
  return [
    {
      // Layout of the upstream Dockerfile's final stage: /usr/local/bin/argocd + one link per component, the git
      // wrappers the repo-server runs, /app/config folders, user argocd (999), tini as entrypoint.
      name: 'argocd',
      operator: 'argocd',
      ref: `${argoImage}:${argo.appVersion}`,
      base: { debian: DEBIAN_PACKAGES },
      files: [
        { from: operatorBinary('argocd', 'argocd'), to: '/usr/local/bin/argocd', mode: 0o755 },
        ...['git-verify-wrapper.sh', 'gpg-wrapper.sh', 'git-ask-pass.sh'].map((f) => ({ from: join(hack, f), to: `/usr/local/bin/${f}`, mode: 0o755 })),
      ],
      links: {
        ...Object.fromEntries(argoComponents.map((c) => [`/usr/local/bin/argocd-${c}`, '/usr/local/bin/argocd'])),
        '/etc/ssh/ssh_known_hosts': '/app/config/ssh/ssh_known_hosts',
      },
      ownedDirs: ['/home/argocd', '/app/config/ssh', '/app/config/tls', '/app/config/gpg/source', '/app/config/gpg/keys'],
      user: { uid: 999, name: 'argocd', home: '/home/argocd' },
      entrypoint: ['/usr/bin/tini', '--'],
      workdir: '/home/argocd',
      env: { PATH, USER: 'argocd', GRPC_ENABLE_TXT_SERVICE_CONFIG: 'false' },
    },
    {
      // Debian's redis-server under the reference the chart pulls; arguments go straight to redis-server.
      name: 'argocd-redis',
      operator: 'argocd',
      ref: `${redisImage}:${argoCdRedisTag()}`,
      base: { debian: DEBIAN_PACKAGES },
      files: [],
      ownedDirs: ['/data'],
      user: { uid: 999, name: 'redis-argocd', home: '/data' },
      entrypoint: ['/usr/bin/redis-server'],
      workdir: '/data',
      env: { PATH },
    },
    {
      name: 'keda',
      operator: 'keda',
      ref: `${kedaImage}:${keda.appVersion}`,
      base: 'static',
      files: [{ from: operatorBinary('keda', 'keda'), to: '/keda', mode: 0o755 }],
      user: staticUser,
      entrypoint: ['/keda'],
      workdir: '/',
      env: { PATH },
    },
    {
      name: 'keda-metrics-apiserver',
      operator: 'keda',
      ref: `${kedaMetricsImage}:${keda.appVersion}`,
      base: 'static',
      files: [{ from: operatorBinary('keda', 'keda-adapter'), to: '/keda-adapter', mode: 0o755 }],
      user: staticUser,
      entrypoint: ['/keda-adapter'],
      workdir: '/',
      env: { PATH },
    },
    {
      name: 'external-secrets',
      operator: 'externalSecrets',
      ref: `${esoImage}:${eso.appVersion}`,
      base: 'static',
      files: [{ from: operatorBinary('externalSecrets', 'external-secrets'), to: '/bin/external-secrets', mode: 0o755 }],
      user: { uid: 65534, name: 'nobody', home: '/' },
      entrypoint: ['/bin/external-secrets'],
      workdir: '/',
      env: { PATH },
    },
  ];
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Cached Debian (bookworm, rootfs.sh's suite) root filesystem tarball for a package list (built once by debian-rootfs.sh). */
function debianRootfs(packages: readonly string[]): string {
  const key = createHash('sha256').update(`${ROOTFS_REVISION}\n${DEBIAN_SUITE}\n${[...packages].sort().join('\n')}`).digest('hex').slice(0, 16);
  const out = join(cacheRoot(), 'rootfs', `debian-${DEBIAN_SUITE}-${key}.tar`);
  execFileSync('bash', [join(__dirname, 'debian-rootfs.sh'), out, ...packages], { stdio: ['ignore', 'inherit', 'inherit'] });
  return out;
}

/** Content key of an image: recipe, base, every file's bytes, and this builder. */
function imageKey(recipe: ImageRecipe, base: string | undefined): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(recipe));
  h.update(base ?? 'static');
  if (!base) h.update(sha256File(CA_BUNDLE));
  for (const f of recipe.files) h.update(sha256File(f.from));
  h.update(readFileSync(__filename, 'utf8'));
  return h.digest('hex').slice(0, 16);
}

/** Waits for and takes an exclusive lock file; a lock whose owner died is taken over. */
function withLock<T>(lock: string, fn: () => T): T {
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      writeFileSync(lock, String(process.pid));
      break;
    } catch {
      const owner = Number(readFileSync(lock, 'utf8') || 0);
      let alive = false;
      try {
        if (owner) process.kill(owner, 0);
        alive = owner > 0;
      } catch {
        alive = false;
      }
      if (!alive) unlinkSync(lock);
      else if (Date.now() > deadline) throw new Error(`${lock} held by pid ${owner} for 30 min`);
      else execFileSync('sleep', ['2']);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** Adds the image's user to /etc/passwd and /etc/group unless its uid is there already. */
function addUser(root: string, user: ImageRecipe['user']): void {
  mkdirSync(join(root, 'etc'), { recursive: true });
  const passwd = existsSync(join(root, 'etc/passwd')) ? readFileSync(join(root, 'etc/passwd'), 'utf8') : '';
  if (passwd.split('\n').some((l) => l.split(':')[2] === String(user.uid))) return;
  appendFileSync(join(root, 'etc/passwd'), `${user.name}:x:${user.uid}:${user.uid}::${user.home}:/usr/sbin/nologin\n`);
  appendFileSync(join(root, 'etc/group'), `${user.name}:x:${user.uid}:\n`);
}

/** Lays out the root filesystem in `root`, then `podman import` + `podman save` to `archive`. */
function assemble(recipe: ImageRecipe, base: string | undefined, root: string, archive: string): void {
  if (base) execFileSync('tar', ['-C', root, '--numeric-owner', '-xf', base]);
  else {
    mkdirSync(join(root, 'etc/ssl/certs'), { recursive: true });
    copyFileSync(CA_BUNDLE, join(root, CA_BUNDLE));
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/sbin/nologin\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
  }
  mkdirSync(join(root, 'tmp'), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
  addUser(root, recipe.user);
  for (const f of recipe.files) {
    mkdirSync(join(root, dirname(f.to)), { recursive: true });
    copyFileSync(f.from, join(root, f.to));
    chmodSync(join(root, f.to), f.mode);
  }
  for (const [link, target] of Object.entries(recipe.links ?? {})) {
    mkdirSync(join(root, dirname(link)), { recursive: true });
    rmSync(join(root, link), { force: true });
    symlinkSync(target, join(root, link));
  }
  for (const d of recipe.ownedDirs ?? []) {
    mkdirSync(join(root, d), { recursive: true });
    chownSync(join(root, d), recipe.user.uid, recipe.user.uid);
  }
  if (recipe.links?.['/etc/ssh/ssh_known_hosts']) writeFileSync(join(root, 'app/config/ssh/ssh_known_hosts'), '');
  const layer = join(dirname(root), 'rootfs.tar');
  execFileSync('tar', ['-C', root, '--numeric-owner', '-cf', layer, '.']);
  const changes = [
    `USER ${recipe.user.uid}`,
    `WORKDIR ${recipe.workdir}`,
    `ENTRYPOINT ${JSON.stringify(recipe.entrypoint)}`,
    ...Object.entries(recipe.env).map(([k, v]) => `ENV ${k}=${v}`),
  ].flatMap((c) => ['--change', c]);
  execFileSync('podman', ['import', ...changes, layer, recipe.ref], { stdio: ['ignore', 'ignore', 'inherit'] });
  const tmp = `${archive}.tmp`;
  rmSync(tmp, { force: true });
  execFileSync('podman', ['save', '--format', 'docker-archive', '-o', tmp, recipe.ref], { stdio: ['ignore', 'ignore', 'inherit'] });
  renameSync(tmp, archive);
}

/** Builds (or finds in the cache) one image archive. */
function buildImage(recipe: ImageRecipe): ImageArchive {
  for (const f of recipe.files) {
    if (!existsSync(f.from)) throw new Error(`${recipe.ref}: ${f.from} is missing; build the operator binaries first (npm run cluster:operators -- build)`);
  }
  const base = recipe.base === 'static' ? undefined : debianRootfs(recipe.base.debian);
  const dir = join(cacheRoot(), 'images');
  const archive = join(dir, `${recipe.name}-${imageKey(recipe, base)}.tar`);
  if (existsSync(archive) && statSync(archive).size > 0) {
    useArchive(archive);
    return { ref: recipe.ref, archive };
  }
  mkdirSync(dir, { recursive: true });
  return withLock(`${archive}.lock`, () => {
    if (!existsSync(archive)) {
      const work = mkdtempSync(join(dir, `.${recipe.name}-`));
      try {
        mkdirSync(join(work, 'root'));
        assemble(recipe, base, join(work, 'root'), archive);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    }
    useArchive(archive);
    return { ref: recipe.ref, archive };
  });
}

/**
 * Every operator image, built into the cache when missing: the list the images loader imports next to its own.
 * Needs the operator binaries (buildOperator) and podman.
 */
export function operatorImages(operators: readonly OperatorName[] = OPERATORS): ImageArchive[] {
  return recipes()
    .filter((r) => operators.includes(r.operator))
    .map(buildImage);
}

/** The Debian root filesystem Argo CD's images start from (built into the cache when missing; minutes cold). */
export function operatorBaseRootfs(): string {
  return debianRootfs(DEBIAN_PACKAGES);
}

/** The references the operator images carry (no build). */
export function operatorImageRefs(operators: readonly OperatorName[] = OPERATORS): string[] {
  return recipes()
    .filter((r) => operators.includes(r.operator))
    .map((r) => r.ref);
}

const KEY_LABEL = 'airflow-eks.image-key';

/** The cache key label of an image in containerd (k8s.io), or undefined when the image is absent. */
function importedKey(ctrSocket: string, ref: string): string | undefined {
  const out = execFileSync('ctr', ['-n', 'k8s.io', '-a', ctrSocket, 'images', 'ls', `name==${ref}`], { encoding: 'utf8' });
  const line = out.split('\n').slice(1).find((l) => l.startsWith(`${ref} `));
  if (!line) return undefined;
  return new RegExp(`${KEY_LABEL.replace(/\./g, '\\.')}=([0-9a-z-]+)`).exec(line)?.[1] ?? '';
}

/**
 * Imports the operator images into a containerd (namespace k8s.io, the CRI's) unless the same build is there (a
 * label carries the archive's key, as the dist/ images loader does); builds missing archives first.
 */
export function loadOperatorImages(ctrSocket: string, operators: readonly OperatorName[] = OPERATORS, log: (line: string) => void = console.log): ImageArchive[] {
  const images = operatorImages(operators);
  for (const i of images) {
    const key = basename(i.archive, '.tar');
    if (importedKey(ctrSocket, i.ref) === key) continue;
    const started = Date.now();
    execFileSync('ctr', ['-n', 'k8s.io', '-a', ctrSocket, 'images', 'import', '--snapshotter', SNAPSHOTTER, i.archive], { stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync('ctr', ['-n', 'k8s.io', '-a', ctrSocket, 'images', 'label', i.ref, `${KEY_LABEL}=${key}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (importedKey(ctrSocket, i.ref) !== key) throw new Error(`${i.ref} is not in containerd (${ctrSocket}) after importing ${i.archive}`);
    log(`imported ${i.ref} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  return images;
}
