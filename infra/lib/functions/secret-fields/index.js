'use strict';
/**
 * CloudFormation custom resource: merges fields into a Secrets Manager secret's JSON value.
 *   Set:      { key: value }  non-secret values (host, port) written on every deploy.
 *   Generate: { key: kind }   secret values generated here once, kept on later deploys.
 * Generated values exist only in Secrets Manager: they are never returned to CloudFormation.
 */
const crypto = require('node:crypto');
const https = require('node:https');

const GENERATORS = {
  // Fernet.generate_key(): URL-safe base64 of 32 random bytes, padding kept (44 characters).
  fernet: () => crypto.randomBytes(32).toString('base64').replace(/\+/g, '-').replace(/\//g, '_'),
  // Flask/JWT signing secrets: 256 random bits.
  token: () => crypto.randomBytes(32).toString('hex'),
  // Login password: 32 URL-safe characters (no quoting problems in env vars or URLs).
  password: () => crypto.randomBytes(24).toString('base64url'),
};

function mergeFields(current, set, generate) {
  const out = { ...current, ...set };
  for (const [key, kind] of Object.entries(generate || {})) {
    const make = GENERATORS[kind];
    if (!make) throw new Error(`unknown generator "${kind}" for ${key}`);
    if (typeof out[key] !== 'string' || out[key] === '') out[key] = make();
  }
  return out;
}

/** The secret's JSON object; CloudFormation's initial random string (not JSON) counts as empty. */
function parseObject(text) {
  try {
    const v = JSON.parse(text || '{}');
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}

/** Answers CloudFormation at the pre-signed ResponseURL (the custom resource protocol); also used by airflow-db-login. */
function respond(event, status, reason, physicalId = event.ResourceProperties.SecretId) {
  const body = JSON.stringify({
    Status: status,
    Reason: reason,
    PhysicalResourceId: event.PhysicalResourceId || physicalId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  const url = new URL(event.ResponseURL);
  return new Promise((resolve, reject) => {
    const req = https.request({ hostname: url.hostname, path: url.pathname + url.search, method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end(body);
  });
}

exports.handler = async (event) => {
  try {
    if (event.RequestType !== 'Delete') {
      // Loaded lazily so the pure helpers can be tested without the SDK.
      const sm = require('@aws-sdk/client-secrets-manager');
      const client = new sm.SecretsManagerClient({});
      const { SecretId, Set, Generate } = event.ResourceProperties;
      let current = {};
      try {
        const got = await client.send(new sm.GetSecretValueCommand({ SecretId }));
        current = parseObject(got.SecretString);
      } catch (e) {
        if (e.name !== 'ResourceNotFoundException') throw e;
      }
      const next = mergeFields(current, Set, Generate);
      if (JSON.stringify(next) !== JSON.stringify(current)) {
        await client.send(new sm.PutSecretValueCommand({ SecretId, SecretString: JSON.stringify(next) }));
      }
    }
    await respond(event, 'SUCCESS', 'ok');
  } catch (e) {
    await respond(event, 'FAILED', String(e && e.message ? e.message : e).slice(0, 500));
  }
};

exports.mergeFields = mergeFields;
exports.parseObject = parseObject;
exports.GENERATORS = GENERATORS;
exports.respond = respond;
