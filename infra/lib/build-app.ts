import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import type { EnvironmentConfig } from '../../manifests-src/config';
import { AirflowEksStack, stackName } from './airflow-eks-stack';
import { AcceptedFindingsChecks } from './nag-suppressions';
import { RegistriesStack, registriesStackId, registryGroups } from './registries';

export interface BuildAppOptions {
  /** Run the cdk-nag AwsSolutions pack on synth. @default true */
  readonly nag?: boolean;
  /** Cloud assembly folder. @default cdk.out (CDK's default) */
  readonly outdir?: string;
  /** Copy assets (the 57 MB kubectl layer) into the assembly; tests turn this off. @default true */
  readonly stageAssets?: boolean;
  /** Extra CDK context (what `cdk -c key=value` gives the CLI app). @default none */
  readonly context?: Record<string, string>;
}

/**
 * One registries stack per account/region (deployed first: the mirror fills it) and one stack per environment,
 * in one app, with cdk-nag attached (`nag` is undefined when turned off).
 */
export function buildApp(envs: EnvironmentConfig[], options: BuildAppOptions = {}): { app: App; stacks: AirflowEksStack[]; registries: RegistriesStack[]; nag?: AcceptedFindingsChecks } {
  // The committed AZ look-ups (the cdk CLI reads this file itself; an in-process App does not).
  const contextFile = path.resolve(__dirname, '..', '..', 'cdk.context.json');
  const committed = fs.existsSync(contextFile) ? (JSON.parse(fs.readFileSync(contextFile, 'utf8')) as Record<string, unknown>) : {};
  const app = new App({ outdir: options.outdir, context: { ...committed, ...(options.stageAssets === false ? { 'aws:cdk:disable-asset-staging': true, 'aws:cdk:bundling-stacks': [] } : {}), ...options.context } });
  const groups = registryGroups(envs);
  const registries = groups.map((group) => new RegistriesStack(app, registriesStackId(group, groups), { envs: group }));
  const stacks = envs.map((config) => new AirflowEksStack(app, stackName(config), { config }));
  const nag = options.nag ?? true ? new AcceptedFindingsChecks() : undefined;
  if (nag) Validations.of(app).addPlugins(nag);
  return { app, stacks, registries, nag };
}
