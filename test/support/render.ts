import { parseManifestFiles } from '../../manifests-src/gitops/manifest-objects';
import { loadEnvironments, type EnvironmentConfig, type EnvironmentInput } from '../../manifests-src/config';
import { environments as committed } from '../../manifests-src/config/environments';
import { renderDist } from '../../manifests-src/synth';

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  [k: string]: any;
};

export interface RenderedObject {
  readonly file: string;
  readonly env: string;
  readonly group: string;
  readonly obj: K8sObject;
}

/** The GitOps layer's parser, typed loosely for assertions. */
export function parseFiles(files: ReadonlyMap<string, string>): RenderedObject[] {
  return parseManifestFiles(files) as unknown as RenderedObject[];
}

/** The committed environments, or one of them with overrides deep-merged. */
export function environment(name: string, overrides: Partial<EnvironmentInput> = {}): EnvironmentConfig {
  const base = committed.find((e) => e.name === name);
  if (!base) throw new Error(`no environment ${name}`);
  return loadEnvironments([deepMerge(base, overrides)])[0];
}

export function render(envs: EnvironmentConfig[] = loadEnvironments()): RenderedObject[] {
  return parseFiles(renderDist(envs));
}

export function find(objs: RenderedObject[], kind: string, name: string, env = 'prod'): K8sObject {
  const hit = objs.find((o) => o.env === env && o.obj.kind === kind && o.obj.metadata.name === name);
  if (!hit) throw new Error(`${kind}/${name} not rendered for ${env}`);
  return hit.obj;
}

export function podSpecOf(obj: K8sObject): any | undefined {
  if (['Deployment', 'DaemonSet', 'StatefulSet', 'Job'].includes(obj.kind)) return obj.spec.template.spec;
  if (obj.kind === 'CronJob') return obj.spec.jobTemplate.spec.template.spec;
  return undefined;
}

function deepMerge<T>(a: T, b: unknown): T {
  if (b === undefined) return a;
  if (Array.isArray(b) || typeof b !== 'object' || b === null) return b as T;
  const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
  for (const [k, v] of Object.entries(b)) out[k] = deepMerge((a as Record<string, unknown>)?.[k], v);
  return out as T;
}
