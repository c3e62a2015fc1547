/**
 * Validates Argo CD objects (Application, AppProject, ApplicationSet) in YAML files against the Argo CD
 * CRD schema shipped by @kubernetes-models/argo-cd. That package is ESM-only, so this runs as its own
 * ES module: `npx tsx manifests-src/gitops/validate-argocd.mts FILE...`. Prints a JSON report; exit 1
 * when any object is invalid. Unknown fields are not caught by the schema: the generator's TypeScript
 * types (the same models) reject those at compile time.
 */
import * as fs from 'node:fs';
import { Application, AppProject, ApplicationSet } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1';
import { parseAllDocuments } from 'yaml';

const MODELS: Record<string, new (data: any) => { validate(): void }> = { Application, AppProject, ApplicationSet };

interface Problem {
  file: string;
  kind: string;
  name: string;
  message: string;
}

const problems: Problem[] = [];
let checked = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
    const obj = doc.toJS();
    if (!obj) continue;
    const name = obj.metadata?.name ?? '?';
    const Model = MODELS[obj.kind];
    if (obj.apiVersion !== 'argoproj.io/v1alpha1' || !Model) {
      problems.push({ file, kind: obj.kind, name, message: `not an Argo CD object (${obj.apiVersion} ${obj.kind})` });
      continue;
    }
    checked++;
    try {
      new Model(obj).validate();
    } catch (e) {
      problems.push({ file, kind: obj.kind, name, message: (e as Error).message });
    }
  }
}
console.log(JSON.stringify({ checked, problems }, null, 2));
process.exitCode = problems.length ? 1 : 0;
