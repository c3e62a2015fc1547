import { parseAllDocuments } from 'yaml';

/** The fields of a Kubernetes object that identify it and that the GitOps layer reads. */
export interface ManifestObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly annotations?: Record<string, string> };
  readonly spec?: any;
  readonly [field: string]: unknown;
}

/** One object of a rendered `dist/` file, with the environment and Argo CD group its folder names. */
export interface PlacedObject {
  /** `dist/`-relative file, e.g. `prod/airflow/worker.yaml`. */
  readonly file: string;
  readonly env: string;
  readonly group: string;
  readonly obj: ManifestObject;
}

/** Parses every YAML document of `dist/`-relative files (`<env>/<group>/<file>.yaml`); empty documents are skipped. */
export function parseManifestFiles(files: ReadonlyMap<string, string>): PlacedObject[] {
  const out: PlacedObject[] = [];
  for (const [file, text] of files) {
    const [env, group] = file.split('/');
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
      const obj = doc.toJS() as ManifestObject | null;
      if (obj && typeof obj === 'object') out.push({ file, env, group, obj });
    }
  }
  return out;
}

/** API group of an object (`apps`, `keda.sh`; empty for the core group), as Argo CD names it. */
export function apiGroupOf(obj: Pick<ManifestObject, 'apiVersion'>): string {
  return obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : '';
}

/** Built-in API groups: objects outside them are custom resources whose controllers default and own fields. */
const BUILT_IN_GROUP = /^$|^[a-z]+$|\.k8s\.io$/;

export function isCustomResource(obj: Pick<ManifestObject, 'apiVersion'>): boolean {
  return !BUILT_IN_GROUP.test(apiGroupOf(obj));
}
