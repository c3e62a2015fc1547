import { k8s } from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';
import { COMPONENTS, imageRef } from '../config';
import { containerSecurityContext, labelsFor, placement, podSecurityContext, resourceRequirements } from '../hardening/workload-defaults';
import type { AirflowConfig } from './airflow-config';
import { AIRFLOW_UID } from './airflow-component';
import { AIRFLOW_HOME } from './airflow-settings';
import { bootstrapScript } from './bootstrap';
import { secretFile, secretFileSettings, secretMount, secretVolume } from './component-secrets';
import { fetchRdsCaContainer, rdsCaMount, rdsCaVolume } from '../platform/rds-ca';

export interface MigrateJobProps {
  readonly env: EnvironmentConfig;
  readonly config: AirflowConfig;
}

/** Argo CD runs hooks before the Application's own resources: the Job carries its settings inline. */
const PRE_SYNC = (wave: number) => ({
  'argocd.argoproj.io/hook': 'PreSync',
  'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
  'argocd.argoproj.io/sync-wave': String(wave),
});

/**
/**
 * DB migration (straight to the database, see SECRET_SETTINGS.migrateConn) + first admin + missing pools, as an Argo CD PreSync hook of the Airflow Application: every sync
 * migrates before any new scheduler or api-server starts (Helm hooks, which Argo CD does not run, are not used).
 */
export class MigrateDatabaseJob extends Construct {
  static readonly NAME = COMPONENTS.migrate.workload;

  constructor(scope: Construct, id: string, props: MigrateJobProps) {
    super(scope, id);
    const { env } = props;
    const labels = labelsFor(MigrateDatabaseJob.NAME, 'migrate');
    new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: { name: COMPONENTS.migrate.serviceAccount, namespace: env.namespace, labels, annotations: PRE_SYNC(-2) },
      automountServiceAccountToken: false,
    });
    new k8s.KubeJob(this, 'Job', {
      metadata: { name: MigrateDatabaseJob.NAME, namespace: env.namespace, labels, annotations: PRE_SYNC(-1) },
      spec: {
        backoffLimit: 3,
        activeDeadlineSeconds: 1800,
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: 'OnFailure',
            serviceAccountName: COMPONENTS.migrate.serviceAccount,
            automountServiceAccountToken: false,
            securityContext: podSecurityContext(AIRFLOW_UID),
            ...placement('core'),
            // Its direct URL verifies Aurora like PgBouncer does (sslrootcert = the RDS CA bundle).
            initContainers: [fetchRdsCaContainer(env)],
            containers: [
              {
                name: 'migrate',
                image: imageRef(env, 'airflow'),
                args: ['bash', '-c', bootstrapScript(env, secretFile('adminPassword'))],
                env: [...props.config.inlineEnv(), ...Object.entries(secretFileSettings('migrate')).map(([name, value]) => ({ name, value }))],
                resources: resourceRequirements({ cpu: '500m', memory: '1Gi' }),
                securityContext: containerSecurityContext(),
                volumeMounts: [
                  { name: 'airflow-home', mountPath: AIRFLOW_HOME },
                  { name: 'tmp', mountPath: '/tmp' },
                  secretMount(),
                  rdsCaMount(),
                ],
              },
            ],
            volumes: [
              { name: 'airflow-home', emptyDir: {} },
              { name: 'tmp', emptyDir: {} },
              secretVolume('migrate'),
              rdsCaVolume(),
            ],
          },
        },
      },
    });
  }
}
