import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseManifestFiles } from '../../manifests-src/gitops/manifest-objects';
import { readTree } from '../../manifests-src/validate/drift';
import { loadEnvironments, type EnvironmentConfig } from '../../manifests-src/config';
import { LocalStack, PROJECT_ROOT, type LocalStackOptions } from '../../local/stack';
export * from '../../local/dag-runs';

/** The environment the local tests run: `dev` from the committed config, as dist/dev ships it. */
export function devEnvironment(): EnvironmentConfig {
  const env = loadEnvironments().find((e) => e.name === 'dev');
  if (!env) throw new Error('the committed config has no dev environment');
  return env;
}

/** A fresh stack in its own state folder (new PostgreSQL cluster, new DAG repo), so test files never share state. */
export async function startTestStack(name: string, opts: Partial<LocalStackOptions> = {}): Promise<LocalStack> {
  const stateDir = path.join(PROJECT_ROOT, '.state', 'test', name);
  LocalStack.killLeftovers(stateDir);
  fs.rmSync(stateDir, { recursive: true, force: true });
  const lines: string[] = [];
  const stack = new LocalStack({ env: devEnvironment(), stateDir, workerGraceMs: 120_000, onEvent: (l) => lines.push(l), ...opts });
  try {
    await stack.start();
  } catch (e) {
    await stack.stop();
    throw new Error(`${(e as Error).message}\n${lines.join('\n')}`);
  }
  return stack;
}

/** The KEDA query exactly as the committed dist/ ships it. */
export function kedaQueryFromDist(envName: string): string {
  for (const { obj } of parseManifestFiles(readTree(path.join(PROJECT_ROOT, 'dist', envName)))) {
    const trigger = obj.kind === 'ScaledObject' ? (obj.spec?.triggers as { type: string; metadata: { query: string } }[] | undefined)?.find((t) => t.type === 'postgresql') : undefined;
    if (trigger) return trigger.metadata.query;
  }
  throw new Error(`no ScaledObject with a postgresql trigger in dist/${envName}`);
}
