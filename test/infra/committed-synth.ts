import * as fs from 'node:fs';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { loadEnvironments } from '../../manifests-src/config';
import { stackName } from '../../infra/lib/airflow-eks-stack';
import { registriesStackName, registryGroups } from '../../infra/lib/registries';
import type { NagSummary } from '../../infra/lib/nag-report';
import { cdkOutStaleness } from '../../infra/lib/synth-inputs';

const ROOT = path.resolve(__dirname, '..', '..');

/** The committed environments as `npm run synth:infra` wrote them to cdk.out/ (the templates that ship). */
export interface CommittedSynth {
  readonly templates: Record<string, Template>;
  readonly raw: Record<string, string>;
  /** Registries stacks by stack name (one per account/region). */
  readonly registries: Record<string, Template>;
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
  const read = (stack: string) => fs.readFileSync(path.join(ROOT, 'cdk.out', `${stack}.template.json`), 'utf8');
  const envs = loadEnvironments();
  for (const env of envs) {
    raw[env.name] = read(stackName(env));
    templates[env.name] = Template.fromJSON(JSON.parse(raw[env.name]));
  }
  const registries = Object.fromEntries(registryGroups(envs).map(([env]) => [registriesStackName(env), Template.fromJSON(JSON.parse(read(registriesStackName(env))))]));
  const nag = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.out', 'nag-summary.json'), 'utf8')) as NagSummary;
  return { templates, raw, registries, nag };
}
