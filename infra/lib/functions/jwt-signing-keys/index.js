'use strict';
/**
 * Secrets Manager rotation function of Airflow's JWT signing keys (Ed25519), so a rotation never fails a running
 * task. The secret holds the signing key (`privateKey`), the key that signs after the next rotation
 * (`nextPrivateKey`) and the public key set Airflow trusts (`keySet`, a JWKS): the previous, current and next keys.
 * A rotation promotes next to current and adds a new next. Whatever order the pods restart in, every token stays
 * valid: a component still on the old value signs with a key the new set holds as previous, one on the new value
 * signs with a key the old set already held as next. A task's token is reissued on its heartbeats, so it is signed
 * by the current key long before the key after that is dropped.
 * Airflow reads `privateKey` as [api_auth] jwt_private_key_path and `keySet` as trusted_jwks_url; its key id is the
 * RFC 7638 thumbprint of the public key, which is what this set names each key by.
 */
const crypto = require('node:crypto');
// Bundled in at synth (esbuild follows the relative require): one JSON reader for every function.
const { parseObject } = require('../secret-fields/index.js');

/** The secret's fields. */
const FIELDS = { privateKey: 'privateKey', nextPrivateKey: 'nextPrivateKey', keySet: 'keySet' };

function newPrivateKey() {
  return crypto.generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' });
}

/** The public JWK of a PEM private key, with its RFC 7638 thumbprint as kid (as Airflow computes it). */
function publicJwk(pem) {
  const { crv, kty, x } = crypto.createPublicKey(crypto.createPrivateKey(pem)).export({ format: 'jwk' });
  const kid = crypto.createHash('sha256').update(JSON.stringify({ crv, kty, x })).digest('base64url');
  return { kty, crv, x, kid, alg: 'EdDSA', use: 'sig' };
}

/** The value after one rotation of `current` (an empty object: the first value). */
function rotated(current) {
  const had = typeof current[FIELDS.privateKey] === 'string' && typeof current[FIELDS.nextPrivateKey] === 'string';
  const previous = had ? current[FIELDS.privateKey] : undefined;
  const signing = had ? current[FIELDS.nextPrivateKey] : newPrivateKey();
  const next = newPrivateKey();
  const keys = [previous, signing, next].filter(Boolean).map(publicJwk);
  return { ...current, [FIELDS.privateKey]: signing, [FIELDS.nextPrivateKey]: next, [FIELDS.keySet]: JSON.stringify({ keys }) };
}

/** Problems of a value (empty when Airflow can sign with it and every key it may have signed with is trusted). */
function problems(value, before) {
  const out = [];
  let kids = [];
  try {
    kids = JSON.parse(value[FIELDS.keySet]).keys.map((k) => k.kid);
  } catch {
    return [`${FIELDS.keySet} is not a JSON key set`];
  }
  const need = [[FIELDS.privateKey, value[FIELDS.privateKey]], [FIELDS.nextPrivateKey, value[FIELDS.nextPrivateKey]]];
  if (before && typeof before[FIELDS.privateKey] === 'string') need.push([`the previous ${FIELDS.privateKey}`, before[FIELDS.privateKey]]);
  for (const [name, pem] of need) {
    try {
      if (!kids.includes(publicJwk(pem).kid)) out.push(`${name} is not in ${FIELDS.keySet}`);
    } catch {
      out.push(`${name} is not an Ed25519 private key`);
    }
  }
  return out;
}


/** The four rotation steps, against a Secrets Manager client (AWS SDK v3 commands). */
async function rotate(client, sdk, { SecretId, ClientRequestToken: token, Step }) {
  const meta = await client.send(new sdk.DescribeSecretCommand({ SecretId }));
  const stagesOf = meta.VersionIdsToStages || {};
  // A step retried after finishSecret: the version is already current, nothing is left to do.
  if ((stagesOf[token] || []).includes('AWSCURRENT')) return;
  const currentVersion = () => Object.entries(stagesOf).find(([, s]) => s.includes('AWSCURRENT'))[0];
  const read = async (params) => parseObject((await client.send(new sdk.GetSecretValueCommand({ SecretId, ...params }))).SecretString);
  if (Step === 'createSecret') {
    const current = await read({ VersionStage: 'AWSCURRENT' });
    try {
      await client.send(new sdk.GetSecretValueCommand({ SecretId, VersionId: token, VersionStage: 'AWSPENDING' }));
      return; // created by an earlier try of this step
    } catch (e) {
      if (e.name !== 'ResourceNotFoundException') throw e;
    }
    await client.send(new sdk.PutSecretValueCommand({ SecretId, ClientRequestToken: token, SecretString: JSON.stringify(rotated(current)), VersionStages: ['AWSPENDING'] }));
  } else if (Step === 'setSecret') {
    // Nothing outside Secrets Manager holds these keys: External Secrets renders them into the pods.
  } else if (Step === 'testSecret') {
    const found = problems(await read({ VersionId: token, VersionStage: 'AWSPENDING' }), await read({ VersionStage: 'AWSCURRENT' }));
    if (found.length) throw new Error(`pending JWT keys of ${SecretId}: ${found.join('; ')}`);
  } else if (Step === 'finishSecret') {
    const from = currentVersion();
    if (from === token) return;
    await client.send(new sdk.UpdateSecretVersionStageCommand({ SecretId, VersionStage: 'AWSCURRENT', MoveToVersionId: token, RemoveFromVersionId: from }));
  } else {
    throw new Error(`unknown rotation step ${Step}`);
  }
}

exports.handler = async (event) => {
  // The Node.js Lambda runtime ships the AWS SDK v3; required here so the pure functions load without it.
  const sdk = require('@aws-sdk/client-secrets-manager');
  await rotate(new sdk.SecretsManagerClient({}), sdk, event);
};

exports.FIELDS = FIELDS;
exports.rotated = rotated;
exports.problems = problems;
exports.publicJwk = publicJwk;
exports.rotate = rotate;
