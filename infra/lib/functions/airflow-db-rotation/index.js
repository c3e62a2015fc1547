'use strict';
/**
 * Secrets Manager rotation function of Airflow's database login (`airflow-db`), alternating users: each rotation
 * gives a new password to the login that is NOT current (the owner role or its `_clone`) and makes it current, so
 * the login clients hold stays valid until the next rotation. The master secret named by `masterarn` makes the change.
 * Secrets Manager calls it once per step with { SecretId, ClientRequestToken, Step }; every step may be retried, so
 * each one is idempotent:
 *   createSecret  the AWSPENDING version (token): every key of AWSCURRENT, the other username, a new password
 *   setSecret     that login made real in the database with the master (the same code as the airflow-db-login resource)
 *   testSecret    the pending login connects over TLS and can SET ROLE to the owner
 *   finishSecret  AWSCURRENT moves to the token (Secrets Manager moves AWSPREVIOUS with it)
 * Bundled with its PostgreSQL driver at synth; the AWS SDK is the Lambda runtime's.
 */
// Bundled in at synth (esbuild follows the relative requires): one implementation of each helper.
const { ensureLogin, withClient } = require('../airflow-db-login/index.js');
const { GENERATORS } = require('../secret-fields/index.js');

const CLONE_SUFFIX = '_clone';
const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];

/** The owner role of a rotation login: the role itself or its clone. */
function ownerRole(username) {
  return username.endsWith(CLONE_SUFFIX) ? username.slice(0, -CLONE_SUFFIX.length) : username;
}

/** The login a rotation moves to: the other one of the pair. */
function nextUsername(username) {
  const role = ownerRole(username);
  return username === role ? `${role}${CLONE_SUFFIX}` : role;
}

/** The pending value from the current one: every key kept (clientPassword, masterarn, endpoint), login switched. */
function pendingValue(current, password) {
  if (typeof current.username !== 'string' || !current.username) throw new Error('the current secret value has no username');
  if (typeof current.masterarn !== 'string' || !current.masterarn) throw new Error('the current secret value has no masterarn (the secret whose login may change this one)');
  return { ...current, username: nextUsername(current.username), password };
}

/** Rotation against one Secrets Manager client (`sm`: the SDK module, `client`: its client). */
function rotation({ sm, client, pg, tls }) {
  const getValue = async (SecretId, extra) => JSON.parse((await client.send(new sm.GetSecretValueCommand({ SecretId, ...extra }))).SecretString);
  const pending = (arn, token) => getValue(arn, { VersionId: token, VersionStage: 'AWSPENDING' });

  const steps = {
    async createSecret(arn, token) {
      try {
        await pending(arn, token);
        return 'pending version exists';
      } catch (e) {
        if (e.name !== 'ResourceNotFoundException') throw e;
      }
      const current = await getValue(arn, { VersionStage: 'AWSCURRENT' });
      const next = pendingValue(current, GENERATORS.password());
      await client.send(new sm.PutSecretValueCommand({ SecretId: arn, ClientRequestToken: token, SecretString: JSON.stringify(next), VersionStages: ['AWSPENDING'] }));
      return `pending login ${next.username}`;
    },
    async setSecret(arn, token) {
      const login = await pending(arn, token);
      const master = await getValue(login.masterarn, { VersionStage: 'AWSCURRENT' });
      const ran = await ensureLogin({ pg, tls, master, login, role: ownerRole(login.username) });
      return ran.join('; ');
    },
    async testSecret(arn, token) {
      const login = await pending(arn, token);
      const role = ownerRole(login.username);
      const row = await withClient(pg || require('pg'), login, login.dbname, tls, async (c) => {
        await c.query(`SET ROLE "${role.replace(/"/g, '""')}"`);
        return (await c.query('SELECT session_user AS s, current_user AS c')).rows[0];
      });
      if (row.s !== login.username || row.c !== role) throw new Error(`pending login ${login.username} acts as ${row.s}/${row.c}, expected ${login.username}/${role}`);
      return `${login.username} logs in and acts as ${role}`;
    },
    async finishSecret(arn, token) {
      const versions = (await client.send(new sm.DescribeSecretCommand({ SecretId: arn }))).VersionIdsToStages || {};
      const current = Object.keys(versions).find((v) => versions[v].includes('AWSCURRENT'));
      if (current === token) return 'already current';
      await client.send(new sm.UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSCURRENT', MoveToVersionId: token, RemoveFromVersionId: current }));
      return `version ${token} is current`;
    },
  };

  /** One step, guarded as Secrets Manager expects: a finished rotation is a no-op, an unknown token an error. */
  return async function step({ SecretId, ClientRequestToken, Step }) {
    if (!STEPS.includes(Step)) throw new Error(`unknown rotation step ${Step}`);
    const versions = (await client.send(new sm.DescribeSecretCommand({ SecretId }))).VersionIdsToStages || {};
    const stages = versions[ClientRequestToken];
    if (stages && stages.includes('AWSCURRENT')) return `version ${ClientRequestToken} is already current`;
    // Secrets Manager stages the token as AWSPENDING before the first step; an emulator that cannot stage a version
    // without a value leaves it unknown, which only createSecret accepts (it writes that version).
    if (stages ? !stages.includes('AWSPENDING') : Step !== 'createSecret') throw new Error(`version ${ClientRequestToken} of ${SecretId} is not pending rotation`);
    return steps[Step](SecretId, ClientRequestToken);
  };
}

exports.handler = async (event) => {
  const sm = require('@aws-sdk/client-secrets-manager');
  const result = await rotation({ sm, client: new sm.SecretsManagerClient({}) })(event);
  console.log(JSON.stringify({ step: event.Step, result }));
};

exports.rotation = rotation;
exports.nextUsername = nextUsername;
exports.pendingValue = pendingValue;
exports.STEPS = STEPS;
