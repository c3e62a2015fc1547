import { k8s } from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { COMPONENTS, imageRef, K8S_SECRETS, PORTS } from '../config';
import { reloadOnSecrets } from '../airflow/airflow-config';
import { HardenedDeployment } from '../hardening/hardened-deployment';
import { tcpProbes } from '../hardening/workload-defaults';
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
const PGBOUNCER_GRACE_SECONDS = 120;

/**
 * A stop is a safe shutdown (SIGINT: stop listening, wait for running transactions, then exit), not what
 * SIGTERM does since PgBouncer 1.23 (wait for every client to disconnect, which Airflow's pooled
 * connections never do: each rollout would wait out the grace period and end in SIGKILL). PgBouncer is
 * the container's PID 1; the sleep holds the kubelet's SIGTERM back until it has exited.
 */
export const PGBOUNCER_PRE_STOP = ['/bin/sh', '-c', `kill -INT 1; sleep ${PGBOUNCER_GRACE_SECONDS}`];

export class PgBouncerDeployment extends Construct {
  readonly workload: HardenedDeployment;

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

    this.workload = new HardenedDeployment(this, 'Workload', {
      namespace: env.namespace,
      name: COMPONENTS.pgbouncer.workload,
      component: 'pgbouncer',
      serviceAccountName: COMPONENTS.pgbouncer.serviceAccount,
      replicas: scheduledReplicas(env, p.replicas) !== undefined ? p.replicas : undefined,
      minReplicas: p.replicas,
      uid: PGBOUNCER_UID,
      gid: PGBOUNCER_UID,
      configFiles: { 'pgbouncer.ini': ini, [HBA_FILE]: pgbouncerHba() },
      annotations: reloadOnSecrets([K8S_SECRETS.metadata.name]),
      podAnnotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(PORTS.pgbouncerExporter) },
      // Time for the transactions running at a stop to finish (see PGBOUNCER_PRE_STOP).
      terminationGracePeriodSeconds: PGBOUNCER_GRACE_SECONDS,
      // The RDS CA bundle is public but not in any image: fetch it (HTTPS, public CAs) before PgBouncer
      // starts, so server_tls_sslmode verify-full checks Aurora's certificate and host name.
      initContainers: [fetchRdsCaContainer(env)],
      containers: [
        {
          name: 'pgbouncer',
          image: imageRef(env, 'pgbouncer'),
          command: ['pgbouncer', `${CONFIG_DIR}/pgbouncer.ini`],
          ports: [{ name: 'pgbouncer', containerPort: p.port }],
          lifecycle: { preStop: { exec: { command: PGBOUNCER_PRE_STOP } } },
          resources: p.resources,
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
          resources: { cpu: '50m', memory: '64Mi' },
          ...tcpProbes(PORTS.pgbouncerExporter),
        },
      ],
      volumes: [
        { name: 'config', configMap: { name: COMPONENTS.pgbouncer.workload } },
        // Only PgBouncer's two files of the shared database Secret (the clients' URLs stay out of this pod).
        { name: 'secret', secret: { secretName: K8S_SECRETS.metadata.name, defaultMode: 0o440, items: [keys.pgbouncerUserlist, keys.pgbouncerDatabases].map((key) => ({ key, path: key })) } },
        rdsCaVolume(),
      ],
      servicePorts: [
        { name: 'pgbouncer', port: p.port, targetPort: k8s.IntOrString.fromString('pgbouncer') },
        { name: 'metrics', port: PORTS.pgbouncerExporter, targetPort: k8s.IntOrString.fromString('metrics') },
      ],
    });
  }
}
