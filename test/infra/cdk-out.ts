import * as fs from 'node:fs';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { loadEnvironments } from '../../manifests-src/config';
import { stackName } from '../../infra/lib/airflow-eks-stack';
import type { NagSummary } from '../../infra/lib/nag-report';
import { cdkOutStaleness } from '../../infra/lib/synth-inputs';

const ROOT = path.resolve(__dirname, '..', '..');

/** The committed environments as `npm run synth:infra` wrote them to cdk.out/ (the templates that ship). */
export interface CommittedSynth {
  readonly templates: Record<string, Template>;
  readonly raw: Record<string, string>;
  /** cdk.out/nag-summary.json: what the one cdk-nag pass of that synth found. */
  readonly nag: NagSummary;
}

/**
 * Reads cdk.out/ instead of synthesizing again (`npm test` synthesizes once before jest). Throws, never skips,
 * when cdk.out/ is missing or was built from other sources than the working tree.
 */
export function committedSynth(): CommittedSynth {
  const stale = cdkOutStaleness(ROOT);
  if (stale) throw new Error(stale);
  const templates: Record<string, Template> = {};
  const raw: Record<string, string> = {};
  for (const env of loadEnvironments()) {
    raw[env.name] = fs.readFileSync(path.join(ROOT, 'cdk.out', `${stackName(env)}.template.json`), 'utf8');
    templates[env.name] = Template.fromJSON(JSON.parse(raw[env.name]));
  }
  const nag = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.out', 'nag-summary.json'), 'utf8')) as NagSummary;
  return { templates, raw, nag };
}
