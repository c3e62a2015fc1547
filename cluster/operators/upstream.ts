import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { moduleDir, operatorSource, type CrdOnlyName, type OperatorName } from './sources';

/** A Kubernetes object as plain data. */
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown }; [k: string]: unknown };

/** The Kubernetes objects of one YAML file inside an operator's module source. */
export function upstreamObjects(name: OperatorName | CrdOnlyName, relPath: string): K8sObject[] {
  const path = join(moduleDir(operatorSource(name)), relPath);
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => !!o && typeof o === 'object' && 'kind' in o);
}

/** The operator's CRDs, straight from its module's CRD folder (kustomization files skipped). */
export function operatorCrds(name: OperatorName | CrdOnlyName): K8sObject[] {
  const source = operatorSource(name);
  const dir = join(moduleDir(source), source.crdDir);
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('kustomization')).sort();
  const crds = files.flatMap((f) => upstreamObjects(name, join(source.crdDir, f))).filter((o) => o.kind === 'CustomResourceDefinition');
  if (crds.length === 0) throw new Error(`no CustomResourceDefinition in ${dir}: the module layout changed (crdDir of ${name})`);
  return crds;
}
