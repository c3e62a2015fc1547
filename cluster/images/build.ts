/**
 * Builds every image of the plan (catalog.ts) into the cache, once per input hash:
 *   ${XDG_CACHE_HOME:-~/.cache}/airflow-eks/images/<name>-<key>.tar (docker-archive)
 * A recipe whose archives exist is skipped, so a second run does nothing; a lock file per recipe
 * keeps two processes from building the same thing at once.
 *   tsx cluster/images/build.ts [--env dev] [--sandbox-image REF]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { useArchive } from './archive-cache';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { planImages, type ImagePlan, type Output, type Recipe } from './catalog';

export const REPO_ROOT = resolve(__dirname, '../..');

export function imagesCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'airflow-eks', 'images');
}

export const archivePath = (output: Output): string => join(imagesCacheDir(), output.file);

function run(argv: string[], what: string): string {
  const r = spawnSync(argv[0], argv.slice(1), { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    throw new Error(`${what} failed (exit ${r.status ?? r.signal}): ${argv.join(' ')}\n${(r.stderr || '').slice(-4000)}${(r.stdout || '').slice(-2000)}`);
  }
  return r.stdout;
}

/** podman with the project's settings (cluster/images/podman.sh). */
export function podman(args: string[], what = 'podman'): string {
  return run(['bash', 'cluster/images/podman.sh', ...args], what);
}

/** Makes an image of the cache present in podman's store (for a FROM, or to run it in a test). */
export function ensureInPodman(output: Output): void {
  const exists = spawnSync('bash', ['cluster/images/podman.sh', 'image', 'exists', output.ref], { cwd: REPO_ROOT });
  if (exists.status === 0) return;
  podman(['load', '--quiet', '--input', archivePath(output)], `podman load ${output.file}`);
}

const built = (recipe: Recipe) => recipe.outputs.every((o) => existsSync(archivePath(o)));

/** Marks the recipe's archives as used now; older builds of the same images are deleted when stale. */
function touchAndPrune(recipe: Recipe): void {
  for (const o of recipe.outputs) useArchive(archivePath(o));
}

export interface BuildTiming {
  recipe: string;
  refs: string[];
  seconds: number;
  cached: boolean;
}

/** Builds one recipe (and what it needs) unless its archives are cached; returns the timings. */
export function buildRecipe(recipe: Recipe, log: (line: string) => void = console.log): BuildTiming[] {
  const timings = recipe.needs.flatMap((n) => buildRecipe(n, log));
  const refs = recipe.outputs.map((o) => o.ref);
  const started = Date.now();
  if (built(recipe)) {
    touchAndPrune(recipe);
    timings.push({ recipe: recipe.name, refs, seconds: 0, cached: true });
    return timings;
  }
  mkdirSync(imagesCacheDir(), { recursive: true });
  for (const need of recipe.needs) for (const o of need.outputs) ensureInPodman(o);
  log(`==> building ${recipe.name} (${refs.join(', ')})`);
  const archives = new Map(recipe.outputs.map((o) => [o.ref, archivePath(o)]));
  const command = recipe.command((ref) => archives.get(ref)!);
  // Under the lock, re-check: another process may have built it while we waited.
  const checks = [...archives.values()].map((a) => `[ -f '${a}' ]`).join(' && ');
  run(
    ['flock', join(imagesCacheDir(), `${recipe.name}.lock`), 'bash', '-c', `${checks} || exec "$@"`, 'recipe', ...command],
    `image build ${recipe.name}`,
  );
  touchAndPrune(recipe);
  const seconds = (Date.now() - started) / 1000;
  log(`    ${recipe.name}: ${seconds.toFixed(1)} s`);
  timings.push({ recipe: recipe.name, refs, seconds, cached: false });
  return timings;
}

/** Builds every recipe of the plan; each recipe at most once. */
export function buildImages(plan: ImagePlan, log: (line: string) => void = console.log): BuildTiming[] {
  const byRecipe = new Map<string, BuildTiming>();
  for (const t of plan.recipes.flatMap((r) => buildRecipe(r, log))) if (!byRecipe.has(t.recipe)) byRecipe.set(t.recipe, t);
  return [...byRecipe.values()];
}

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  try {
    const started = Date.now();
    const plan = planImages(REPO_ROOT, flag(argv, '--env') ?? 'dev', flag(argv, '--sandbox-image'));
    for (const t of buildImages(plan)) {
      console.log(`${t.recipe.padEnd(20)} ${t.cached ? 'cached' : `${t.seconds.toFixed(1)} s`}  ${t.refs.join(' ')}`);
    }
    for (const u of plan.unavailable) console.log(`not built: ${u.ref}: ${u.reason}`);
    console.log(`images ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (e) {
    console.error((e as Error).message);
    process.exitCode = 1;
  }
}
