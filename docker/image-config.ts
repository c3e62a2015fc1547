/**
 * What docker/build.sh and docker/mirror.sh need from the typed config, printed for the shell:
 *   tsx docker/image-config.ts build  <env> [--config FILE]  ->  KEY='value' lines (for eval)
 *   tsx docker/image-config.ts mirror <env> [--config FILE]  ->  "<source> <target>" lines
 * The shell reads values with sed, never eval.
 */
import { builtImageRegistry, debianPackageTag, ecrRegistry, environmentsFromArgs, type EnvironmentConfig } from '../manifests-src/config';

export { ecrRegistry };

/** The images we build ourselves (build.sh); every other configured image is mirrored as is (mirror.sh). */
export const BUILT_IMAGES = ['airflow', 'pgbouncer'] as const;
type MirroredImageName = Exclude<keyof EnvironmentConfig['images'], 'mirrorRegistry' | (typeof BUILT_IMAGES)[number]>;

/** Where our images go: the mirror registry when configured, else ECR; the manifests pull from the same place. */
export const targetRegistry = (env: EnvironmentConfig) => builtImageRegistry(env);

export function buildSettings(env: EnvironmentConfig): Record<string, string> {
  const image = env.images.airflow;
  const pgbouncer = env.images.pgbouncer;
  return {
    ENV_NAME: env.name,
    AWS_REGION: env.aws.region,
    AWS_PARTITION: env.aws.partition,
    REGISTRY: targetRegistry(env),
    REPOSITORY: image.repository,
    IMAGE_TAG: image.tag,
    AIRFLOW_VERSION: env.airflow.version,
    PYTHON_VERSION: image.tag.match(/python(\d+\.\d+)/)?.[1] ?? '3.11',
    PGBOUNCER_REPOSITORY: pgbouncer.repository,
    PGBOUNCER_TAG: debianPackageTag(pgbouncer.packageVersion),
    PGBOUNCER_VERSION: pgbouncer.packageVersion,
    PGBOUNCER_DEBIAN_SUITE: pgbouncer.suite,
  };
}

/** Every third-party image the manifests use, from its public registry to the target registry. */
export function mirrorPairs(env: EnvironmentConfig): Array<{ source: string; target: string; repository: string }> {
  const names = (Object.keys(env.images) as Array<keyof EnvironmentConfig['images']>).filter(
    (k): k is MirroredImageName => k !== 'mirrorRegistry' && !(BUILT_IMAGES as readonly string[]).includes(k),
  );
  const seen = new Set<string>();
  return names.flatMap((k) => {
    const i = env.images[k];
    const source = `${i.registry}/${i.repository}:${i.tag}`;
    if (seen.has(source)) return [];
    seen.add(source);
    return [{ source, target: `${targetRegistry(env)}/${i.repository}:${i.tag}`, repository: i.repository }];
  });
}

function main(argv: string[]): number {
  const [command, envName] = argv;
  const env = environmentsFromArgs(argv).find((e) => e.name === envName);
  if (!env || !['build', 'mirror'].includes(command)) {
    console.error('usage: tsx docker/image-config.ts build|mirror <env> [--config FILE]');
    return 2;
  }
  if (command === 'build') {
    for (const [k, v] of Object.entries(buildSettings(env))) console.log(`${k}='${v}'`);
  } else {
    for (const p of mirrorPairs(env)) console.log(`${p.source} ${p.target} ${p.repository}`);
  }
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exitCode = 2;
  }
}
