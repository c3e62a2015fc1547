import { loadEnvironments } from '../../manifests-src/config';
import { logGroups, type CfnTemplate } from '../../infra/assembly/cdk-out';
import { metricsReadBy } from '../../infra/lib/metric-catalog';
import { stackName } from '../../infra/lib/airflow-eks-stack';
import { telemetryLines } from '../../scripts/summary';
import { committedSynth } from '../infra/committed-synth';

/** `npm start` names where each environment's logs and metrics go: the log groups and the namespace of cdk.out/. */
const s = committedSynth();

describe.each(loadEnvironments().map((e) => e.name))('%s: the summary of where logs and metrics go', (name) => {
  const env = loadEnvironments().find((e) => e.name === name)!;
  const template = s.templates[name].toJSON() as CfnTemplate;
  const text = telemetryLines(env).join('\n');

  test("every named log group of the stack's template, and nothing else, is named", () => {
    const created = [...logGroups(template).keys()];
    expect(created.length).toBeGreaterThan(0);
    for (const g of created) expect({ stack: stackName(env), group: g, named: text.includes(g) }).toEqual({ stack: stackName(env), group: g, named: true });
    for (const named of text.match(/\/[\w-]+(?:\/[\w-]+)+/g) ?? []) expect(created).toContain(named);
  });

  test('the CloudWatch namespace and cluster dimension the alarms read are named', () => {
    const airflow = metricsReadBy(template).filter((m) => m.metricName.startsWith('airflow_'));
    expect(airflow.length).toBeGreaterThan(0);
    for (const m of airflow) expect(text).toContain(`CloudWatch namespace ${m.namespace} (ClusterName=${m.dimensions.ClusterName}`);
  });
});
