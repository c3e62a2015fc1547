/**
 * Rotating the JWT signing keys never makes Airflow refuse a token it issued before: Airflow 3.3's own signer and
 * validator (the locked venv), configured as the committed dist/ configures the api-server, with key values made by
 * the rotation function's code as synthesized in cdk.out/. A component that restarts before or after another during
 * a rollout must still accept the other's tokens; a token two rotations old is refused.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SECRET_KEYS, loadEnvironments, secretsManagerNames } from '../../manifests-src/config';
import { functionCode, readTemplate, rotationFunctions } from '../../infra/assembly/cdk-out';
import { stackName } from '../../infra/lib/airflow-eks-stack';
import { VENV_BIN } from '../../local/stack';
import { find, parseFiles, podSpecOf, type RenderedObject } from '../support/render';
import { committedSynth } from '../infra/committed-synth';

const ROOT = path.resolve(__dirname, '..', '..');
const env = loadEnvironments().find((e) => e.name === 'dev')!;

function committed(name: string): RenderedObject[] {
  const dist = path.join(ROOT, 'dist');
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) (e.isDirectory() ? walk : (p: string) => files.set(path.relative(dist, p), fs.readFileSync(p, 'utf8')))(path.join(d, e.name));
  };
  walk(path.join(dist, name));
  return parseFiles(files);
}

/** The api-server's JWT settings from dist/: option -> the Secret key whose file it names. */
function apiServerJwtFiles(): { settings: Record<string, string>; mount: string; items: Array<{ secret: string; key: string; path: string }> } {
  const spec = podSpecOf(find(committed(env.name), 'Deployment', 'airflow-api-server', env.name))!;
  const c = spec.containers[0];
  const mount = c.volumeMounts.find((m: any) => m.name === 'airflow-secrets').mountPath;
  const items = spec.volumes.find((v: any) => v.name === 'airflow-secrets').projected.sources.flatMap((s: any) => s.secret.items.map((i: any) => ({ secret: s.secret.name, key: i.key, path: i.path })));
  const settings = Object.fromEntries(c.env.filter((e: any) => /^AIRFLOW__API_AUTH__(JWT_PRIVATE_KEY_PATH|TRUSTED_JWKS_URL)$/.test(e.name)).map((e: any) => [e.name, e.value]));
  return { settings, mount, items };
}

/** Signs a token with each version's files, then validates the asked pairs; Airflow reads its options anew per call. */
const SCRIPT = `
import json, os, sys
from airflow.api_fastapi.auth.tokens import JWTGenerator, JWTValidator, get_signing_args, get_sig_validation_args
plan = json.load(sys.stdin)
def use(version):
    os.environ.update(plan["settings"][version])
tokens = []
for v in range(len(plan["settings"])):
    use(v)
    tokens.append(JWTGenerator(**get_signing_args(make_secret_key_if_needed=False), valid_for=600, audience="test").generate({"sub": "task"}))
out = []
for signed_by, checked_by in plan["pairs"]:
    use(checked_by)
    try:
        JWTValidator(**get_sig_validation_args(make_secret_key_if_needed=False), audience="test").validated_claims(tokens[signed_by])
        out.append("valid")
    except Exception as e:
        out.append("refused: " + type(e).__name__ + ": " + str(e))
print(json.dumps(out))
`;

describe('JWT signing keys across rotations (real Airflow)', () => {
  let work: string;
  let versions: Array<Record<string, string>>;
  const { settings, mount, items } = apiServerJwtFiles();

  beforeAll(() => {
    committedSynth();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'jwt-keys-'));
    const t = readTemplate(path.join(ROOT, 'cdk.out'), stackName(env));
    const secret = Object.entries(t.Resources).find(([, r]) => r.Type === 'AWS::SecretsManager::Secret' && r.Properties?.Name === secretsManagerNames(env).jwtSigning)![0];
    const rotation = rotationFunctions(t).find((r) => r.secret === secret)!;
    const { rotated } = functionCode(path.join(ROOT, 'cdk.out'), stackName(env), t)(rotation.fn);
    versions = [rotated({})];
    for (let i = 0; i < 3; i++) versions.push(rotated(versions[versions.length - 1]));
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  /** The api-server's settings pointing at the files External Secrets renders from one secret version. */
  function settingsOf(version: number): Record<string, string> {
    const dir = path.join(work, `v${version}`);
    fs.mkdirSync(dir, { recursive: true });
    const fromSecret: Record<string, string> = { 'airflow-jwt-signing-key': SECRET_KEYS.jwtSigning.privateKey, 'airflow-jwt-key-set': SECRET_KEYS.jwtSigning.keySet };
    for (const i of items) if (fromSecret[i.secret]) fs.writeFileSync(path.join(dir, i.path), versions[version][fromSecret[i.secret]], { mode: 0o400 });
    return Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, v.split(mount).join(dir)]));
  }

  /** Airflow's verdict on each [signed by, checked by] pair of versions. */
  function verdicts(pairs: Array<[number, number]>): string[] {
    const plan = { settings: versions.map((_, i) => settingsOf(i)), pairs };
    const r = spawnSync(path.join(VENV_BIN, 'python'), ['-W', 'ignore', '-c', SCRIPT], { env: { PATH: process.env.PATH!, AIRFLOW_HOME: work }, input: JSON.stringify(plan), encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as string[];
  }

  test('the api-server reads the signing key and the trusted key set from its mounted files', () => {
    expect(Object.keys(settings).sort()).toEqual(['AIRFLOW__API_AUTH__JWT_PRIVATE_KEY_PATH', 'AIRFLOW__API_AUTH__TRUSTED_JWKS_URL']);
    for (const v of Object.values(settings)) expect(items.map((i) => `${mount}/${i.path}`)).toContain(v);
  });

  test('tokens of the versions before and after a rotation are valid under both; two rotations apart they are refused', () => {
    // A rollout: old and new pods side by side, in either order, and a task whose token predates the rotation.
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i + 1 < versions.length; i++) pairs.push([i, i + 1], [i + 1, i]);
    // The key of version 0 has left the set two rotations later (tokens are reissued with the current key well before).
    pairs.push([0, 2]);
    const got = verdicts(pairs);
    expect(pairs.map((p, i) => [...p, got[i]])).toEqual([...pairs.slice(0, -1).map((p) => [...p, 'valid']), [0, 2, expect.stringMatching(/^refused: InvalidTokenError: Kid did not match/)]]);
  }, 120_000);
});
