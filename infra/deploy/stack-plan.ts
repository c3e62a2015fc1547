import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EnvironmentConfig } from '../../manifests-src/config';
import { stackName } from '../lib/airflow-eks-stack';
import { buildApp } from '../lib/build-app';
import { registriesKey, registriesStackName } from '../lib/registries';

/** What one stack would create: resource counts per CloudFormation type, from an in-process synth. */
export interface StackPlan {
  readonly stack: string;
  readonly resources: Record<string, number>;
}

/** Synthesizes the environment's registries stack (shared with its account/region) and its own stack. */
export function stackPlans(env: EnvironmentConfig, all: EnvironmentConfig[], context: Record<string, string> = {}): StackPlan[] {
  const group = all.filter((e) => registriesKey(e) === registriesKey(env));
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'airflow-eks-plan-'));
  try {
    const { app } = buildApp(group, { outdir, stageAssets: false, nag: false, context });
    const assembly = app.synth();
    return [registriesStackName(env), stackName(env)].map((name) => {
      const template = assembly.getStackByName(name).template as { Resources?: Record<string, { Type: string }> };
      const resources: Record<string, number> = {};
      for (const r of Object.values(template.Resources ?? {})) resources[r.Type] = (resources[r.Type] ?? 0) + 1;
      return { stack: name, resources };
    });
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
