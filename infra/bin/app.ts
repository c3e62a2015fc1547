#!/usr/bin/env node
/**
 * Entry point for the cdk CLI (cdk.json): what `npm run deploy` and `npm run destroy` run. The config is the committed
 * one, or the file in AIRFLOW_EKS_CONFIG (the deploy sets it from its `--config FILE`). A synth refuses example values
 * (account 123456789012, *.example.com hosts, a missing certificate) before anything is created: with
 * `-c airflow-eks:deployEnvironment=<env>` (set by the deploy) only in that environment, and the app then holds only
 * the stacks of its account and region (its registries stack and the environments sharing it, as the dry run
 * synthesizes them); without it (a `cdk synth` for review) every environment is checked, unless
 * `-c airflow-eks:allowExamples=true` (the committed examples then synthesize; nothing can be deployed from them).
 */
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/build-app';
import { registriesKey } from '../lib/registries';
import { DEPLOY_ENVIRONMENT_CONTEXT, synthPlaceholderProblems } from '../deploy/placeholders';
import { ConfigError, environmentsFromArgs } from '../../manifests-src/config';

try {
  const envs = environmentsFromArgs();
  // The context the cdk CLI passes (cdk.json, cdk.context.json, -c), read before the real app is built.
  const context = new App({ autoSynth: false }).node;
  const problems = synthPlaceholderProblems(envs, (key) => context.tryGetContext(key));
  if (problems.length) throw new ConfigError(problems);
  const target = envs.find((e) => e.name === context.tryGetContext(DEPLOY_ENVIRONMENT_CONTEXT));
  buildApp(target ? envs.filter((e) => registriesKey(e) === registriesKey(target)) : envs);
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    console.error('Nothing was synthesized: replace the example values (see docs/runbook.md).');
    process.exit(2);
  }
  throw e;
}
