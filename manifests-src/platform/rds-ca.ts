import { k8s } from 'cdk8s-plus-33';
import type { EnvironmentConfig } from '../config';
import { imageRef } from '../config';
import { containerSecurityContext, resourceRequirements } from '../hardening/workload-defaults';
import { rdsCaBundleUrl } from './pgbouncer-config';

/**
 * The RDS CA bundle, fetched into an emptyDir by an init container. Everything that connects to Aurora
 * (PgBouncer, and the migration, which bypasses PgBouncer) verifies its certificate and host name with it.
 */
export const RDS_CA_DIR = '/etc/pgbouncer-ca';
export const RDS_CA_FILE = `${RDS_CA_DIR}/rds-ca.pem`;
export const RDS_CA_VOLUME = 'server-ca';

/** The bundle is public but in no image: fetch it (HTTPS, public CAs) before the main container starts. */
export function fetchRdsCaContainer(env: EnvironmentConfig): k8s.Container {
  return {
    name: 'fetch-rds-ca',
    image: imageRef(env, 'airflow'),
    command: ['bash', '-c', `set -eu; curl -fsSL --retry 5 --retry-connrefused --max-time 60 '${rdsCaBundleUrl(env)}' -o ${RDS_CA_FILE}.tmp; grep -q 'BEGIN CERTIFICATE' ${RDS_CA_FILE}.tmp; mv ${RDS_CA_FILE}.tmp ${RDS_CA_FILE}`],
    resources: resourceRequirements({ cpu: '50m', memory: '64Mi' }),
    securityContext: containerSecurityContext(),
    volumeMounts: [{ name: RDS_CA_VOLUME, mountPath: RDS_CA_DIR }],
  };
}

export function rdsCaVolume(): k8s.Volume {
  return { name: RDS_CA_VOLUME, emptyDir: { sizeLimit: k8s.Quantity.fromString('4Mi') } };
}

export function rdsCaMount(): k8s.VolumeMount {
  return { name: RDS_CA_VOLUME, mountPath: RDS_CA_DIR, readOnly: true };
}
