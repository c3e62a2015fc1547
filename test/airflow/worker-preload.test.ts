import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DAG_BUNDLE_CLASSPATH, dagBundleModule } from '../../manifests-src/airflow/dag-bundle';
import { parseManifestFiles } from '../../manifests-src/gitops/manifest-objects';
import { readTree } from '../../manifests-src/validate/drift';
import { VENV_BIN } from '../../local/stack';
import { environment, find, render } from '../support/render';

const SETTING = 'AIRFLOW__CELERY__EXTRA_CELERY_CONFIG';

/** The Airflow settings every pod of an environment gets, from the committed dist/ ConfigMap. */
function committedSettings(env: string): Record<string, string> {
  const objs = parseManifestFiles(readTree(path.resolve(__dirname, '../../dist', env)));
  const cm = objs.find(({ obj }) => obj.kind === 'ConfigMap' && obj.metadata?.name === 'airflow-config');
  return (cm!.obj as unknown as { data: Record<string, string> }).data;
}

/**
 * Builds Airflow's Celery app as `airflow celery worker` does and runs Celery's worker initialisation (which a
 * worker runs in its main process before it forks the pool), then says which modules that process holds.
 */
function workerMainProcessImports(extraCeleryConfig: string | undefined): { beforeInit: boolean; afterInit: boolean; bundleClassLoaded: boolean } {
  const script = [
    'import json, sys',
    'from airflow.providers.celery.executors.celery_executor import app',
    'mod = sys.argv[1]',
    'before = mod in sys.modules',
    'app.loader.init_worker()',
    'cls = sys.argv[2].rsplit(".", 1)[1]',
    "print(json.dumps({'beforeInit': before, 'afterInit': mod in sys.modules, 'bundleClassLoaded': hasattr(sys.modules.get(mod), cls)}))",
  ].join('\n');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'preload-'));
  try {
    const r = spawnSync(path.join(VENV_BIN, 'python'), ['-W', 'ignore', '-c', script, dagBundleModule(), DAG_BUNDLE_CLASSPATH], {
      env: { PATH: process.env.PATH, AIRFLOW_HOME: home, AIRFLOW__CORE__EXECUTOR: 'CeleryExecutor', ...(extraCeleryConfig ? { [SETTING]: extraCeleryConfig } : {}) },
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

describe('DAG bundle preloaded in the Celery worker (workers.preloadDagBundle)', () => {
  test('the committed setting makes the worker main process import the bundle class before its pool starts', () => {
    const value = committedSettings('dev')[SETTING];
    expect(value).toBeDefined();
    expect(workerMainProcessImports(value)).toEqual({ beforeInit: false, afterInit: true, bundleClassLoaded: true });
  }, 120_000);

  test("without it (Airflow's default) the main process never imports it: each task process does", () => {
    expect(workerMainProcessImports(undefined)).toEqual({ beforeInit: false, afterInit: false, bundleClassLoaded: false });
  }, 120_000);

  test('every environment ships it; turned off, the setting is absent rather than empty', () => {
    for (const env of ['dev', 'prod', 'prod-cn']) expect(JSON.parse(committedSettings(env)[SETTING])).toEqual({ imports: [dagBundleModule()] });
    const off = render([environment('dev', { workers: { preloadDagBundle: false } })]);
    expect(find(off, 'ConfigMap', 'airflow-config', 'dev').data![SETTING]).toBeUndefined();
  });
});
