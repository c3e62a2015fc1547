import * as path from 'node:path';
import { COMPONENTS } from '../../bench/report';
import { POD_COMPONENTS } from '../../bench/cluster-target';
import { distWorkloadNames } from '../../cluster/images/references';
import { PROJECT_ROOT } from '../../local/stack';
import { METRICS_AGENT } from '../../manifests-src/platform/fluent-bit';

// The cluster benchmark finds pods by the name label dist/ gives them: a renamed workload would silently drop out
// of the CPU table.
test('every long-running workload of dist/dev that the benchmark table has a column for is counted under that column', () => {
  const names = distWorkloadNames(path.join(PROJECT_ROOT, 'dist', 'dev'), ['Deployment', 'StatefulSet']);
  const counted = names.filter((n) => POD_COMPONENTS[n]);
  expect(names.filter((n) => !POD_COMPONENTS[n])).toEqual(['airflow-statsd', METRICS_AGENT]);
  expect(new Set(counted.map((n) => POD_COMPONENTS[n]))).toEqual(new Set(COMPONENTS.filter((c) => !['postgres', 'redis', 'log-sink'].includes(c))));
});
