import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AIRFLOW_DB_ROLE, DB_MASTER_USER } from '../manifests-src/config';
import type { LocalSecrets } from './settings';
// The rotation function's own code makes the keys, as Secrets Manager's first rotation does in AWS.
import { rotated as rotatedJwtKeys } from '../infra/lib/functions/jwt-signing-keys';

/** secrets.json of a state folder: the values Secrets Manager holds in AWS, generated once per folder. */

const file = (stateDir: string) => path.join(stateDir, 'secrets.json');
const hex = (n: number) => crypto.randomBytes(n).toString('hex');

export function randomPassword(): string {
  return hex(16);
}

export function saveSecrets(stateDir: string, s: LocalSecrets): void {
  fs.writeFileSync(file(stateDir), JSON.stringify(s, null, 2), { mode: 0o600 });
}

export function loadOrCreateSecrets(stateDir: string): LocalSecrets {
  // A state folder from before the DAG repository had credentials gets them added.
  if (fs.existsSync(file(stateDir))) {
    const stored = { gitUsername: 'dags-reader', gitPassword: hex(20), jwtSigning: rotatedJwtKeys({}), ...(JSON.parse(fs.readFileSync(file(stateDir), 'utf8')) as Partial<LocalSecrets>) };
    // Its database was created with these logins: a folder from before the dedicated Airflow login cannot be upgraded.
    const lacking = (['dbUser', 'dbPassword', 'clientPassword'] as const).filter((k) => !stored[k]);
    if (lacking.length) throw new Error(`${stateDir} was created by an older version (secrets.json lacks ${lacking.join(', ')}): remove that folder and start again`);
    // Its database's master login is the stack's (what the local cluster's Secrets Manager says it is).
    if (stored.masterUser !== DB_MASTER_USER) throw new Error(`${stateDir} was created by an older version (master login "${stored.masterUser}", the stack's is "${DB_MASTER_USER}"): remove that folder and start again`);
    return stored as LocalSecrets;
  }
  const s: LocalSecrets = {
    masterUser: DB_MASTER_USER,
    masterPassword: randomPassword(),
    dbUser: AIRFLOW_DB_ROLE,
    dbPassword: randomPassword(),
    clientPassword: randomPassword(),
    redisAuthToken: hex(24),
    fernetKey: crypto.randomBytes(32).toString('base64url') + '=',
    apiSecretKey: hex(32),
    jwtSigning: rotatedJwtKeys({}),
    adminPassword: hex(12),
    gitUsername: 'dags-reader',
    gitPassword: hex(20),
  };
  saveSecrets(stateDir, s);
  return s;
}
