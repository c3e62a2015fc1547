import { k8s } from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { imageRef, PORTS } from '../config';
import {
  containerSecurityContext,
  labelsFor,
  placement,
  podSecurityContext,
  resourceRequirements,
  selectorFor,
  tcpProbes,
  topologySpread,
} from '../hardening/workload-defaults';
import { SERVICE_NAMES } from './airflow-settings';

export interface StatsdExporterProps {
  readonly env: EnvironmentConfig;
}

/** Receives Airflow's StatsD metrics (UDP) and exposes them for Prometheus / CloudWatch agent scraping. */
export class StatsdExporter extends Construct {
  readonly selector = selectorFor(SERVICE_NAMES.statsd);
  readonly labels = labelsFor(SERVICE_NAMES.statsd, 'metrics');

  constructor(scope: Construct, id: string, props: StatsdExporterProps) {
    super(scope, id);
    const { env } = props;
    new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: { name: SERVICE_NAMES.statsd, namespace: env.namespace, labels: this.labels },
      automountServiceAccountToken: false,
    });
    new k8s.KubeDeployment(this, 'Deployment', {
      metadata: { name: SERVICE_NAMES.statsd, namespace: env.namespace, labels: this.labels },
      spec: {
        replicas: 1,
        revisionHistoryLimit: 5,
        selector: { matchLabels: this.selector },
        template: {
          metadata: { labels: this.labels, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(PORTS.statsdMetrics) } },
          spec: {
            serviceAccountName: SERVICE_NAMES.statsd,
            automountServiceAccountToken: false,
            securityContext: podSecurityContext(65534, 65534),
            topologySpreadConstraints: topologySpread(this.selector),
            ...placement('core'),
            containers: [
              {
                name: 'statsd-exporter',
                image: imageRef(env, 'statsdExporter'),
                args: [`--statsd.listen-udp=:${PORTS.statsd}`, `--web.listen-address=:${PORTS.statsdMetrics}`],
                ports: [
                  { name: 'statsd', containerPort: PORTS.statsd, protocol: 'UDP' },
                  { name: 'metrics', containerPort: PORTS.statsdMetrics },
                ],
                resources: resourceRequirements({ cpu: '100m', memory: '128Mi' }),
                securityContext: containerSecurityContext(),
                ...tcpProbes(PORTS.statsdMetrics),
              },
            ],
          },
        },
      },
    });
    new k8s.KubeService(this, 'Service', {
      metadata: { name: SERVICE_NAMES.statsd, namespace: env.namespace, labels: this.labels },
      spec: {
        selector: this.selector,
        ports: [
          { name: 'statsd', port: PORTS.statsd, protocol: 'UDP', targetPort: k8s.IntOrString.fromNumber(PORTS.statsd) },
          { name: 'metrics', port: PORTS.statsdMetrics, targetPort: k8s.IntOrString.fromNumber(PORTS.statsdMetrics) },
        ],
      },
    });
  }
}
