import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadEnvironments } from '../../manifests-src/config';
import { environments as committed } from '../../manifests-src/config/environments';

/**
 * Cross-field rules live in the schema, so every entry point refuses a bad config with the same message
 * before it writes or starts anything: synth:manifests, synth:infra and the local runner.
 */
const ROOT = path.resolve(__dirname, '../..');
const dev = committed.find((e) => e.name === 'dev')!;
// More NAT gateways than zones: an infra rule that once only the infra entry points applied.
const zones = loadEnvironments([dev])[0].cluster.availabilityZones;
// Its own name, so "wrote nothing" can be checked where the local runner keeps its state (.state/local/<name>).
const bad = { ...dev, name: 'refused-config', infra: { ...dev.infra, vpc: { ...dev.infra?.vpc, natGateways: zones + 1 } } };

let dir: string;
let file: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'entry-points-'));
  file = path.join(dir, 'bad.json');
  fs.writeFileSync(file, JSON.stringify({ environments: [bad] }));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function expectedMessage(): string {
  try {
    loadEnvironments([bad]);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error('the bad config was accepted');
}

const run = (script: string, args: string[]) =>
  spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(ROOT, script), '--config', file, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });

test('the schema names the field, the rule and the value', () => {
  expect(expectedMessage()).toContain(`environments[0](refused-config).infra.vpc.natGateways: must be <= cluster.availabilityZones (${zones}): one NAT gateway per zone at most (got ${bad.infra.vpc.natGateways})`);
});

test.each([
  ['synth:manifests', 'manifests-src/main.ts', ['--out', 'dist'], 'dist'],
  ['synth:infra', 'infra/bin/synth.ts', [], 'cdk.out'],
  ['local', 'local/cli.ts', ['--env', 'refused-config'], path.join(ROOT, '.state', 'local', 'refused-config')],
])('%s refuses it with the same message and writes nothing', (_name, script, args, output) => {
  const r = run(script, args);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain(expectedMessage());
  expect(fs.existsSync(path.resolve(dir, output))).toBe(false);
}, 120_000);
