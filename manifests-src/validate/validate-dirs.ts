import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { validateObject } from './validate-object';

/** One problem in one object: printed as `file: Kind namespace/name: path: message`. */
export interface Problem {
  /** File as given (relative to the working directory when the folder was given relative). */
  readonly file: string;
  /** `Deployment airflow/scheduler`, `NodePool default`, or `document 3` when kind/name are missing. */
  readonly object: string;
  readonly path: string;
  readonly message: string;
}

export interface Report {
  readonly files: number;
  readonly objects: number;
  readonly problems: readonly Problem[];
  /** Folders that do not exist (e.g. argocd/ before it is generated): noted, not an error. */
  readonly missingDirs: readonly string[];
  readonly ms: number;
}

/** Every `*.yaml`/`*.yml` under a folder, sorted so the output is stable. */
export function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

/** Validates every YAML document under the given folders; missing folders are skipped and listed. */
export async function validateDirs(dirs: readonly string[]): Promise<Report> {
  const started = process.hrtime.bigint();
  const missingDirs = dirs.filter((d) => !fs.existsSync(d));
  const files = dirs.filter((d) => fs.existsSync(d)).flatMap((d) => (fs.statSync(d).isDirectory() ? yamlFiles(d) : [d]));
  const problems: Problem[] = [];
  let objects = 0;
  for (const file of files) {
    const docs = parseAllDocuments(fs.readFileSync(file, 'utf8'));
    for (const [i, doc] of docs.entries()) {
      const label = `document ${i + 1}`;
      if (doc.errors.length > 0) {
        problems.push({ file, object: label, path: '(root)', message: `not valid YAML: ${doc.errors[0].message.split('\n')[0].replace(/:$/, '')}` });
        continue;
      }
      const obj: unknown = doc.toJS();
      if (obj === null || obj === undefined) continue; // an empty document, e.g. a trailing `---`
      objects++;
      for (const p of await validateObject(obj)) problems.push({ file, object: objectLabel(obj, label), ...p });
    }
  }
  return { files: files.length, objects, problems, missingDirs, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

export function objectLabel(obj: unknown, fallback: string): string {
  const o = (obj ?? {}) as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  if (typeof o.kind !== 'string') return fallback;
  const name = typeof o.metadata?.name === 'string' ? o.metadata.name : '(no name)';
  return typeof o.metadata?.namespace === 'string' ? `${o.kind} ${o.metadata.namespace}/${name}` : `${o.kind} ${name}`;
}

export function formatProblem(p: Problem): string {
  return `${p.file}: ${p.object}: ${p.path}: ${p.message}`;
}

export function formatSummary(r: Report): string {
  const errors = r.problems.length;
  return `validated ${r.objects} objects in ${r.files} files: ${errors} error${errors === 1 ? '' : 's'} (${r.ms.toFixed(0)} ms)`;
}
