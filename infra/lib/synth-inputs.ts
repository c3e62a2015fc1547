import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What a synth of cdk.out/ reads from the repository: the CDK app, the config it imports (with the sizing its defaults come from), the pins. */
const INPUTS = ['infra', 'manifests-src', 'bench/sizing.ts', 'bench/sizing-baseline.json', 'cdk.context.json', 'package-lock.json', 'tsconfig.json'];

/** Where synth records the digest of its inputs, beside the templates. */
export const INPUTS_DIGEST_FILE = path.join('cdk.out', 'inputs.sha256');

function files(root: string, rel: string): string[] {
  const abs = path.join(root, rel);
  if (!fs.existsSync(abs)) return [];
  if (!fs.statSync(abs).isDirectory()) return [rel];
  return fs.readdirSync(abs).sort().flatMap((f) => (f === 'node_modules' ? [] : files(root, path.join(rel, f))));
}

/** sha256 over the names and contents of every input file: equal digests, equal templates. */
export function synthInputsDigest(root: string): string {
  const hash = createHash('sha256');
  for (const f of INPUTS.flatMap((i) => files(root, i))) hash.update(`${f}\0`).update(fs.readFileSync(path.join(root, f))).update('\0');
  return hash.digest('hex');
}

/** Why cdk.out/ cannot be used as the synth of this working tree, or undefined when it can. */
export function cdkOutStaleness(root: string): string | undefined {
  const file = path.join(root, INPUTS_DIGEST_FILE);
  if (!fs.existsSync(file)) return 'cdk.out/ holds no synth of the committed environments: run `npm run synth:infra`';
  if (fs.readFileSync(file, 'utf8').trim() !== synthInputsDigest(root)) return 'cdk.out/ was synthesized from other sources than the working tree: run `npm run synth:infra`';
  return undefined;
}
