import { App, YamlOutputType } from 'cdk8s';
import type { EnvironmentConfig } from './config';
import { APP_GROUPS } from './config';

/**
 * Renders every environment into a map of `dist/`-relative path -> YAML text, in memory.
 * Layout: `<env>/<group>/<NN>-<chart>.yaml`, one folder per Argo CD Application (APP_GROUPS).
 * Pure and deterministic: the same config gives byte-identical text.
 */
export function renderDist(envs: readonly EnvironmentConfig[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const env of envs) {
    for (const group of APP_GROUPS) {
      const app = new App({ outputFileExtension: '.yaml', yamlOutputType: YamlOutputType.FILE_PER_CHART });
      addGroupCharts(app, env, group.name);
      for (const chart of app.charts) {
        const docs = chart.toJson();
        if (docs.length === 0) continue;
        files.set(`${env.name}/${group.name}/${chart.node.id}.yaml`, toYaml(docs));
      }
    }
  }
  return files;
}

// Filled in by the chart modules.
function addGroupCharts(_app: App, _env: EnvironmentConfig, _group: string): void {}

function toYaml(_docs: unknown[]): string {
  return '';
}
