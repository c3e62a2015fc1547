import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { EnvironmentConfig } from '../../manifests-src/config';
import { AirflowEksStack, stackName } from './airflow-eks-stack';

export interface BuildAppOptions {
  /** Run the cdk-nag AwsSolutions pack on synth. @default true */
  readonly nag?: boolean;
  /** Cloud assembly folder. @default cdk.out (CDK's default) */
  readonly outdir?: string;
  /** Copy assets (the 57 MB kubectl layer) into the assembly; tests turn this off. @default true */
  readonly stageAssets?: boolean;
}

/** One stack per environment in one app, with cdk-nag attached. */
export function buildApp(envs: EnvironmentConfig[], options: BuildAppOptions = {}): { app: App; stacks: AirflowEksStack[] } {
  const app = new App({ outdir: options.outdir, context: options.stageAssets === false ? { 'aws:cdk:disable-asset-staging': true } : {} });
  const stacks = envs.map((config) => new AirflowEksStack(app, stackName(config), { config }));
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stacks };
}
