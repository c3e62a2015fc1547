import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { debianPackageTag, loadEnvironments, type EnvironmentConfig } from '../manifests-src/config';

/**
 * The PgBouncer the local runner starts: Debian's package at exactly the version `images.pgbouncer` pins (what
 * docker/pgbouncer and the local cluster's image install), in a root filesystem of its suite built by the image
 * recipe's own cluster/images/rootfs.sh. That suite's glibc is newer than this machine's, so the binary runs
 * through the root's own dynamic loader and libraries: same binary, same libraries as the image, as a plain
 * host process (its pid is PgBouncer's, so signals and fault injection reach it as before).
 */

/** Shared by every clone on the machine, and enterable by the unprivileged server user (a home folder is not). */
const ROOTS_DIR = '/var/cache/airflow-eks/pgbouncer';

export interface PgBouncerRoot {
  readonly dir: string;
  readonly packageVersion: string;
}

const arch = (): string => execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();

export function pgbouncerRoot(env: Pick<EnvironmentConfig, 'images'>): PgBouncerRoot {
  const { suite, packageVersion } = env.images.pgbouncer;
  return { dir: path.join(ROOTS_DIR, `${suite}-${debianPackageTag(packageVersion)}-${arch()}`), packageVersion };
}

/** The root's multiarch library folder holding its dynamic loader (usr/lib/x86_64-linux-gnu, usr/lib/aarch64-linux-gnu). */
function libraryDir(root: string): { libDir: string; loader: string } {
  const lib = path.join(root, 'usr', 'lib');
  for (const d of fs.readdirSync(lib).filter((n) => n.endsWith('-linux-gnu'))) {
    const loader = fs.readdirSync(path.join(lib, d)).find((n) => /^ld-linux.*\.so\.\d+$/.test(n));
    if (loader) return { libDir: path.join(lib, d), loader: path.join(lib, d, loader) };
  }
  throw new Error(`${root}: no dynamic loader under usr/lib/*-linux-gnu; rebuild it: bash local/install.sh`);
}

/** The binary whose presence says the root is complete (written last, by the rename in ensurePgBouncerRoot). */
export const pgbouncerBinary = (r: PgBouncerRoot): string => path.join(r.dir, 'usr', 'sbin', 'pgbouncer');

/** Command and arguments that run the root's pgbouncer with the root's loader and libraries. */
export function pgbouncerCommand(r: PgBouncerRoot, iniFile: string): { command: string; args: string[] } {
  const { libDir, loader } = libraryDir(r.dir);
  return { command: loader, args: ['--library-path', libDir, pgbouncerBinary(r), iniFile] };
}

/** Builds the root of each pinned version the committed environments use, unless present. Needs root (debootstrap). */
export function ensurePgBouncerRoots(repo: string): void {
  const roots = new Map(loadEnvironments().map((e) => [pgbouncerRoot(e).dir, e]));
  for (const [dir, env] of roots) {
    const r = pgbouncerRoot(env);
    if (fs.existsSync(pgbouncerBinary(r))) continue;
    fs.mkdirSync(ROOTS_DIR, { recursive: true, mode: 0o755 });
    const tmp = `${dir}.tmp`;
    console.log(`building PgBouncer ${r.packageVersion} (${env.images.pgbouncer.suite}) into ${dir}`);
    execFileSync('bash', [path.join(repo, 'cluster/images/rootfs.sh'), tmp, `pgbouncer=${r.packageVersion}`, env.images.pgbouncer.suite], { stdio: 'inherit' });
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
    fs.chmodSync(dir, 0o755);
  }
}

if (require.main === module) ensurePgBouncerRoots(path.resolve(__dirname, '..'));
