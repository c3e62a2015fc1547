#!/usr/bin/env node
/** Entry point for the cdk CLI (cdk.json): `npx cdk deploy airflow-eks-prod`. */
import { buildApp } from '../lib/app';
import { infraEnvironmentsFromArgs } from '../lib/validate-infra';
import { ConfigError } from '../../manifests-src/config';

try {
  buildApp(infraEnvironmentsFromArgs());
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(2);
  }
  throw e;
}
