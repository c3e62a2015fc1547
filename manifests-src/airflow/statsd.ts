import { k8s } from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { COMPONENTS, imageRef, PORTS } from '../config';
import { HardenedDeployment } from '../hardening/hardened-deployment';
import { tcpProbes } from '../hardening/workload-defaults';

/** The image's `nobody` user. */
const EXPORTER_UID = 65534;

export interface StatsdExporterProps {
  readonly env: EnvironmentConfig;
}

/** Receives Airflow's StatsD metrics (UDP) and exposes them for Prometheus / CloudWatch agent scraping. */
export class StatsdExporter extends Construct {
  readonly workload: HardenedDeployment;

  constructor(scope: Construct, id: string, props: StatsdExporterProps) {
    super(scope, id);
    const { env } = props;
    this.workload = new HardenedDeployment(this, 'Workload', {
      namespace: env.namespace,
      name: COMPONENTS.statsd.workload,
      component: 'metrics',
      serviceAccountName: COMPONENTS.statsd.serviceAccount,
      replicas: 1,
      uid: EXPORTER_UID,
      gid: EXPORTER_UID,
      podAnnotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(PORTS.statsdMetrics) },
      containers: [
        {
          name: 'statsd-exporter',
          image: imageRef(env, 'statsdExporter'),
          args: [`--statsd.listen-udp=:${PORTS.statsd}`, `--web.listen-address=:${PORTS.statsdMetrics}`],
          ports: [
            { name: 'statsd', containerPort: PORTS.statsd, protocol: 'UDP' },
            { name: 'metrics', containerPort: PORTS.statsdMetrics },
          ],
          resources: { cpu: '100m', memory: '128Mi' },
          ...tcpProbes(PORTS.statsdMetrics),
        },
      ],
      servicePorts: [
        { name: 'statsd', port: PORTS.statsd, protocol: 'UDP', targetPort: k8s.IntOrString.fromNumber(PORTS.statsd) },
        { name: 'metrics', port: PORTS.statsdMetrics, targetPort: k8s.IntOrString.fromNumber(PORTS.statsdMetrics) },
      ],
    });
  }
}
