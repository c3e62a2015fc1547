import type { EnvironmentConfig } from '../config';
import { APP_GROUPS } from '../config';
import { toYaml } from '../synth';
import { environmentProject } from './app-project';
import { argocdPaths } from './argocd-settings';
import { groupApplication } from './group-application';
import { parseManifestFiles } from './manifest-objects';
import { rootApplication } from './root-application';

/**
 * Renders `argocd/` (relative path -> YAML) from the environments and the rendered `dist/` files
 * (`renderDist` output). Reading the rendered objects keeps every derived setting (destination
 * namespaces, KEDA-owned replicas, cluster-scoped kinds) in step with what is actually deployed.
 */
export function renderArgoCd(envs: readonly EnvironmentConfig[], dist: ReadonlyMap<string, string>): Map<string, string> {
  const placed = parseManifestFiles(dist);
  const files = new Map<string, string>();
  const firstWave = Math.min(...APP_GROUPS.map((g) => g.wave));
  for (const env of envs) {
    const paths = argocdPaths(env);
    const envObjects = placed.filter((p) => p.env === env.name);
    files.set(paths.root, toYaml([rootApplication(env)]));
    files.set(`${paths.appsDir}/project.yaml`, toYaml([environmentProject({ env, objects: envObjects.map((p) => p.obj), wave: firstWave - 1 })]));
    for (const group of APP_GROUPS) {
      const objects = envObjects.filter((p) => p.group === group.name).map((p) => p.obj);
      if (objects.length === 0) continue; // no folder in dist/, nothing to point at
      files.set(`${paths.appsDir}/${group.name}.yaml`, toYaml([groupApplication({ env, group, objects })]));
    }
  }
  return files;
}
