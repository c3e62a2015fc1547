import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { INPUTS_DIGEST_FILE, cdkOutStaleness, synthInputsDigest } from '../../infra/lib/synth-inputs';

/** cdk.out/ is reused only while every input of the synth is unchanged. */
test('cdk.out/ is current only for the sources it was synthesized from', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-inputs-'));
  fs.mkdirSync(path.join(root, 'infra', 'lib'), { recursive: true });
  fs.writeFileSync(path.join(root, 'infra', 'lib', 'network.ts'), 'natGateways = 1');
  expect(cdkOutStaleness(root)).toMatch(/cdk\.out\/ holds no synth .*npm run synth:infra/);
  fs.mkdirSync(path.join(root, 'cdk.out'));
  fs.writeFileSync(path.join(root, INPUTS_DIGEST_FILE), `${synthInputsDigest(root)}\n`);
  expect(cdkOutStaleness(root)).toBeUndefined();
  fs.writeFileSync(path.join(root, 'infra', 'lib', 'network.ts'), 'natGateways = 2');
  expect(cdkOutStaleness(root)).toMatch(/other sources than the working tree: run `npm run synth:infra`/);
  fs.writeFileSync(path.join(root, 'infra', 'lib', 'network.ts'), 'natGateways = 1');
  fs.writeFileSync(path.join(root, 'manifests-src-unrelated.txt'), 'not an input');
  expect(cdkOutStaleness(root)).toBeUndefined();
});
