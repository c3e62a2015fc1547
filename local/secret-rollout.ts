import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { PROJECT_ROOT } from './prerequisites';

/**
 * What Reloader rolls when a Secret changes, read from the committed dist/: the Deployments whose
 * `secret.reloader.stakater.com/reload` annotation names it. The local runner replays that rollout on its
 * processes, so a rotation test exercises what ships rather than a list of its own.
 */

const RELOAD = 'secret.reloader.stakater.com/reload';

interface DeploymentDoc {
  kind?: string;
  metadata?: { name?: string; annotations?: Record<string, string> };
}

export function reloadedBy(envName: string, secret: string, root = PROJECT_ROOT): string[] {
  const dir = path.join(root, 'dist', envName);
  const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml'));
  const out: string[] = [];
  for (const f of files) {
    for (const d of parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8'))) {
      const o = d.toJS() as DeploymentDoc | null;
      if (o?.kind !== 'Deployment' || !o.metadata?.name) continue;
      if ((o.metadata.annotations?.[RELOAD] ?? '').split(',').includes(secret)) out.push(o.metadata.name);
    }
  }
  return out.sort();
}

/** The local processes standing for a Deployment `airflow-<component>`: `<component>` or `<component>-<n>`. */
export function processesFor(deployment: string, processes: Iterable<string>): string[] {
  const component = deployment.replace(/^airflow-/, '');
  return [...processes].filter((p) => p === component || new RegExp(`^${component}-\\d+$`).test(p)).sort();
}
