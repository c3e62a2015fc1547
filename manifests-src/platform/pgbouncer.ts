import { k8s } from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { imageRef, K8S_SECRETS, PORTS, SERVICE_ACCOUNTS } from '../config';
import { SERVICE_NAMES } from '../airflow/airflow-settings';
import { reloadOnSecrets } from '../airflow/airflow-config';
import { WorkloadDisruptionBudget } from '../hardening/pod-disruption-budget';
import {
  containerSecurityContext,
  contentChecksum,
  labelsFor,
  placement,
  podSecurityContext,
  resourceRequirements,
  selectorFor,
  tcpProbes,
  topologySpread,
} from '../hardening/workload-defaults';
import { pgbouncerHba, pgbouncerIni, pgbouncerStatsUrl } from './pgbouncer-config';
import { fetchRdsCaContainer, rdsCaMount, rdsCaVolume, RDS_CA_FILE } from './rds-ca';
import { scheduledReplicas } from './office-hours';

const CONFIG_DIR = '/etc/pgbouncer';
const SECRET_DIR = '/etc/pgbouncer-secret';
const HBA_FILE = 'pgbouncer_hba.conf';
/** The image's `nobody` user. */
const PGBOUNCER_UID = 65534;

export interface PgBouncerProps {
  readonly env: EnvironmentConfig;
}

/**
 * PgBouncer between every Airflow pod (and KEDA) and Aurora: transaction pooling, pool sizes from the
 * config, TLS to Aurora, credentials and upstream login from the ExternalSecret `airflow-metadata` (the one that also renders the clients' URLs),
 * and a Prometheus exporter sidecar.
 */
export class PgBouncerDeployment extends Construct {
  readonly selector = selectorFor(SERVICE_NAMES.pgbouncer);
  readonly labels = labelsFor(SERVICE_NAMES.pgbouncer, 'pgbouncer', 'airflow');

  constructor(scope: Construct, id: string, props: PgBouncerProps) {
    super(scope, id);
    const { env } = props;
    const p = env.pgbouncer;
    const keys = K8S_SECRETS.metadata.keys;
    const ini = pgbouncerIni(env, {
      listenAddr: '0.0.0.0',
      authFile: `${SECRET_DIR}/${keys.pgbouncerUserlist}`,
      authHbaFile: `${CONFIG_DIR}/${HBA_FILE}`,
      databasesFile: `${SECRET_DIR}/${keys.pgbouncerDatabases}`,
      serverTlsCaFile: RDS_CA_FILE,
    });

    new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: { name: SERVICE_ACCOUNTS.pgbouncer.name, namespace: env.namespace, labels: this.labels },
      automountServiceAccountToken: false,
    });
    const hba = pgbouncerHba();
    new k8s.KubeConfigMap(this, 'Config', {
      metadata: { name: SERVICE_NAMES.pgbouncer, namespace: env.namespace, labels: this.labels },
      data: { 'pgbouncer.ini': ini, [HBA_FILE]: hba },
    });

    new k8s.KubeDeployment(this, 'Deployment', {
      metadata: { name: SERVICE_NAMES.pgbouncer, namespace: env.namespace, labels: this.labels, annotations: reloadOnSecrets([K8S_SECRETS.metadata.name]) },
      spec: {
        ...(scheduledReplicas(env, p.replicas) !== undefined ? { replicas: p.replicas } : {}),
        revisionHistoryLimit: 5,
        selector: { matchLabels: this.selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) } },
        template: {
          metadata: { labels: this.labels, annotations: { 'airflow-eks/config-checksum': contentChecksum(ini + hba), 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(PORTS.pgbouncerExporter) } },
          spec: {
            serviceAccountName: SERVICE_ACCOUNTS.pgbouncer.name,
            automountServiceAccountToken: false,
            securityContext: podSecurityContext(PGBOUNCER_UID, PGBOUNCER_UID),
            // SIGTERM makes PgBouncer stop accepting and wait for its clients; give them time.
            terminationGracePeriodSeconds: 120,
            topologySpreadConstraints: topologySpread(this.selector),
            ...placement('core'),
            // The RDS CA bundle is public but not in any image: fetch it (HTTPS, public CAs) before PgBouncer
            // starts, so server_tls_sslmode verify-full checks Aurora's certificate and host name.
            initContainers: [fetchRdsCaContainer(env)],
            containers: [
              {
                name: 'pgbouncer',
                image: imageRef(env, 'pgbouncer'),
                command: ['pgbouncer', `${CONFIG_DIR}/pgbouncer.ini`],
                ports: [{ name: 'pgbouncer', containerPort: p.port }],
                resources: resourceRequirements(p.resources),
                securityContext: containerSecurityContext(),
                volumeMounts: [
                  { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
                  { name: 'secret', mountPath: SECRET_DIR, readOnly: true },
                  rdsCaMount(),
                ],
                ...tcpProbes(p.port),
              },
              {
                name: 'metrics-exporter',
                image: imageRef(env, 'pgbouncerExporter'),
                // Global flags, then the image's `server` command (args replace its CMD). The URL holds no password:
                // PgBouncer admits this login only from the pod's loopback, to its read-only console (pgbouncerHba).
                args: [`--web.listen-address=:${PORTS.pgbouncerExporter}`, '--web.telemetry-path=/metrics', `--database-url=${pgbouncerStatsUrl(env)}`, 'server'],
                ports: [{ name: 'metrics', containerPort: PORTS.pgbouncerExporter }],
                resources: resourceRequirements({ cpu: '50m', memory: '64Mi' }),
                securityContext: containerSecurityContext(),
                ...tcpProbes(PORTS.pgbouncerExporter),
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: SERVICE_NAMES.pgbouncer } },
              // Only PgBouncer's two files of the shared database Secret (the clients' URLs stay out of this pod).
              { name: 'secret', secret: { secretName: K8S_SECRETS.metadata.name, defaultMode: 0o440, items: [keys.pgbouncerUserlist, keys.pgbouncerDatabases].map((key) => ({ key, path: key })) } },
              rdsCaVolume(),
            ],
          },
        },
      },
    });

    new k8s.KubeService(this, 'Service', {
      metadata: { name: SERVICE_NAMES.pgbouncer, namespace: env.namespace, labels: this.labels },
      spec: {
        selector: this.selector,
        ports: [
          { name: 'pgbouncer', port: p.port, targetPort: k8s.IntOrString.fromString('pgbouncer') },
          { name: 'metrics', port: PORTS.pgbouncerExporter, targetPort: k8s.IntOrString.fromString('metrics') },
        ],
      },
    });

    if (WorkloadDisruptionBudget.appliesTo(p.replicas)) {
      new WorkloadDisruptionBudget(this, 'Pdb', { name: SERVICE_NAMES.pgbouncer, namespace: env.namespace, selector: this.selector, labels: this.labels, replicas: p.replicas });
    }
  }
}
