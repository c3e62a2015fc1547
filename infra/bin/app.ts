#!/usr/bin/env node
/**
 * Entry point for the cdk CLI (cdk.json): what `npm run deploy` runs. A synth for a real deploy refuses example
 * values (account 123456789012, *.example.com hosts, a missing certificate) before anything is created; pass
 * `-c airflow-eks:allowExamples=true` to synthesize the committed examples anyway (nothing can be deployed from them).
 */
import { buildApp } from '../lib/build-app';
import { placeholderProblems } from '../deploy/placeholders';
import { ConfigError, environmentsFromArgs } from '../../manifests-src/config';

try {
  const envs = environmentsFromArgs();
  const { app } = buildApp(envs);
  if (app.node.tryGetContext('airflow-eks:allowExamples') !== 'true') {
    const problems = envs.flatMap((e, i) => placeholderProblems(e, `environments[${i}](${e.name})`));
    if (problems.length) throw new ConfigError(problems);
  }
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    console.error('Nothing was synthesized: replace the example values (see docs/runbook.md).');
    process.exit(2);
  }
  throw e;
}
