import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { EnvironmentConfig } from '../../manifests-src/config';
import { buildApp } from '../../infra/lib/build-app';
import type { AirflowEksStack } from '../../infra/lib/airflow-eks-stack';

export interface Synthesized {
  readonly templates: Record<string, Template>;
  readonly raw: Record<string, string>;
  readonly stacks: Record<string, AirflowEksStack>;
  readonly outdir: string;
  /** Registries stacks by stack name (one per account/region). */
  readonly registries: Record<string, Template>;
}

/** Synthesizes every environment in one app (cdk-nag on: synth throws on any open finding). Call once per file. */
export function synthOnce(envs: EnvironmentConfig[]): Synthesized {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'infra-test-'));
  const { app, stacks, registries: registryStacks } = buildApp(envs, { outdir, stageAssets: false });
  const assembly = app.synth();
  const templates: Record<string, Template> = {};
  const raw: Record<string, string> = {};
  const byName: Record<string, AirflowEksStack> = {};
  stacks.forEach((s, i) => {
    const text = fs.readFileSync(path.join(assembly.directory, s.templateFile), 'utf8');
    raw[envs[i].name] = text;
    templates[envs[i].name] = Template.fromJSON(JSON.parse(text));
    byName[envs[i].name] = s;
  });
  const registries = Object.fromEntries(registryStacks.map((r) => [r.stackName, Template.fromJSON(JSON.parse(fs.readFileSync(path.join(assembly.directory, r.templateFile), 'utf8')))]));
  return { templates, raw, stacks: byName, outdir, registries };
}

/** Resources of one type as [logicalId, properties]. */
export function resourcesOf(t: Template, type: string): Array<[string, Record<string, any>]> {
  return Object.entries(t.findResources(type)).map(([id, r]) => [id, (r as { Properties?: Record<string, any> }).Properties ?? {}]);
}
