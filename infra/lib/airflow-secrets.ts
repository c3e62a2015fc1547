import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { SECRET_KEYS, secretsManagerNames, type EnvironmentConfig } from '../../manifests-src/config';
import { KEEP_DATA } from './retention';
import { SecretFields, type GeneratedKind } from './secret-fields';

export interface AirflowSecretsProps {
  readonly env: EnvironmentConfig;
  readonly encryptionKey: kms.IKey;
}

/** How each Airflow key is generated: the Fernet key must be a real Fernet key or Airflow refuses to start. */
export const AIRFLOW_KEY_KINDS: Record<keyof typeof SECRET_KEYS.airflow, GeneratedKind> = {
  fernetKey: 'fernet',
  apiSecretKey: 'token',
  adminPassword: 'password',
};

/**
 * The Airflow secret (Fernet key, API secret key, first admin password), generated at deploy time and stable
 * afterwards: regenerating the Fernet key would make stored connections unreadable. The JWT signing keys are a
 * secret of their own that rotates (JwtSigningKeys).
 */
export class AirflowSecrets extends Construct {
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: AirflowSecretsProps) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      secretName: secretsManagerNames(props.env).airflow,
      description: 'Airflow keys; generated at deploy time, read by External Secrets',
      encryptionKey: props.encryptionKey,
      removalPolicy: KEEP_DATA,
    });
    const generate = Object.fromEntries(Object.entries(AIRFLOW_KEY_KINDS).map(([k, kind]) => [SECRET_KEYS.airflow[k as keyof typeof AIRFLOW_KEY_KINDS], kind]));
    new SecretFields(this, 'Keys', { secret: this.secret, generate });
  }
}
