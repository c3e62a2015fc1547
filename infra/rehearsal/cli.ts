/**
 * `npx tsx infra/rehearsal/cli.ts [env]` (default prod-cn): synthesizes the environment, runs aws-cdk-lib's Helm
 * handler pull of every release against a loopback registry filled by the mirror step, prints what happened.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEnvironments } from '../../manifests-src/config';
import { stackName } from '../lib/airflow-eks-stack';
import { buildApp } from '../lib/build-app';
import { rehearseHelmPull } from './handler-pull';

async function main(name = 'prod-cn'): Promise<number> {
  const env = loadEnvironments().find((e) => e.name === name);
  if (!env?.images.mirrorRegistry) {
    console.error(`environment ${name} has no images.mirrorRegistry: nothing is pulled from a mirror`);
    return 2;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-rehearsal-'));
  try {
    const { app } = buildApp([env], { stageAssets: false, nag: false, outdir: path.join(work, 'cdk.out') });
    const template = app.synth().getStackByName(stackName(env)).template;
    const { results, wrongForm } = await rehearseHelmPull(template, env.images.mirrorRegistry, work);
    for (const r of results) {
      console.log(`${r.ok ? 'PULLED ' : r.mirrored ? 'FAILED ' : 'ABSENT '} ${r.chart.padEnd(30)} ${r.pulledFrom}  ${r.detail}`);
      for (const i of r.images) console.log(`          image ${i}`);
    }
    console.log(`old form oci://<mirror>/charts: ${wrongForm.ok ? 'pulled (unexpected)' : 'refused by helm pull'}`);
    return results.every((r) => r.ok === r.mirrored) && !wrongForm.ok ? 0 : 1;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main(process.argv[2]).then((code) => (process.exitCode = code));
