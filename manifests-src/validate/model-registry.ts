/**
 * apiVersion + kind -> the kubernetes-models class that carries its schema validator.
 *
 * kubernetes-models 5.x is ESM-only, so classes are loaded with dynamic `import()`, one module per kind
 * (`<package>/<group>/<version>/<Kind>`), which keeps start-up small: only the kinds present are loaded.
 */

/** A kubernetes-models class: its static type meta and the validate() that runs the compiled schema. */
export interface ModelClass {
  readonly apiVersion: string;
  readonly kind: string;
  readonly prototype: { validate(this: unknown): void };
}

/** API groups served by CRD packages; every other group (and the core group) comes from `kubernetes-models`. */
export const CRD_PACKAGES: Readonly<Record<string, string>> = {
  'keda.sh': '@kubernetes-models/keda',
  'eventing.keda.sh': '@kubernetes-models/keda',
  'karpenter.sh': '@kubernetes-models/karpenter',
  'karpenter.k8s.aws': '@kubernetes-models/karpenter',
  'argoproj.io': '@kubernetes-models/argo-cd',
  'external-secrets.io': '@kubernetes-models/external-secrets',
  'generators.external-secrets.io': '@kubernetes-models/external-secrets',
};

const CORE_PACKAGE = 'kubernetes-models';

// Only these shapes become part of a module specifier: nothing in a manifest can point the import elsewhere.
const GROUP = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
const VERSION = /^v[0-9]+((alpha|beta)[0-9]+)?$/;
const KIND = /^[A-Z][A-Za-z0-9]*$/;

/** The module that would define this kind, or undefined when apiVersion/kind are not well formed. */
export function modelModule(apiVersion: string, kind: string): string | undefined {
  const parts = apiVersion.split('/');
  const [group, version] = parts.length === 1 ? ['', parts[0]] : parts;
  if (parts.length > 2 || !VERSION.test(version) || !KIND.test(kind) || (group !== '' && !GROUP.test(group))) return undefined;
  const pkg = CRD_PACKAGES[group] ?? CORE_PACKAGE;
  return group === '' ? `${pkg}/${version}/${kind}` : `${pkg}/${group}/${version}/${kind}`;
}

/** A loaded model and the module it came from (for its type declarations). */
export interface ModelEntry {
  readonly cls: ModelClass;
  readonly specifier: string;
}

const cache = new Map<string, Promise<ModelEntry | undefined>>();

/**
 * The model class for apiVersion + kind, or undefined when no installed package defines that kind.
 * A module that exists but describes a nested type (e.g. `apps/v1/DeploymentSpec`) is not a kind: rejected.
 */
export function findModel(apiVersion: string, kind: string): Promise<ModelEntry | undefined> {
  const key = `${apiVersion} ${kind}`;
  let hit = cache.get(key);
  if (!hit) {
    hit = load(apiVersion, kind);
    cache.set(key, hit);
  }
  return hit;
}

async function load(apiVersion: string, kind: string): Promise<ModelEntry | undefined> {
  const specifier = modelModule(apiVersion, kind);
  if (!specifier) return undefined;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return undefined;
    throw e;
  }
  const cls = mod[kind] as Partial<ModelClass> | undefined;
  return cls && cls.apiVersion === apiVersion && cls.kind === kind ? { cls: cls as ModelClass, specifier } : undefined;
}
