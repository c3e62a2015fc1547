import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEnvironments } from '../../manifests-src/config';
import { CHARTS, chartImages } from '../../infra/lib/charts';
import { rehearseHelmPull, type PullResult } from '../../infra/rehearsal/handler-pull';
import { committedSynth } from './committed-synth';

/**
 * aws-cdk-lib's own Helm handler pulls every release of the synthesized prod-cn stack from a loopback OCI registry
 * (TLS, standing in for the ECR mirror) that the project's mirror step filled: proves the repositories name the
 * chart (item 1), that the mirror layout is what the handler reads (item 2) and that the pulled charts run only
 * mirrored images (item 6). Charts the mirror step cannot obtain here are absent and fail exactly as a missing
 * chart would in the deploy.
 */
const [cn] = loadEnvironments().filter((e) => e.name === 'prod-cn');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-rehearsal-test-'));
let results: PullResult[];
let wrongForm: { ok: boolean; error?: string };

beforeAll(async () => {
  const install = spawnSync('bash', [path.join(__dirname, '..', '..', 'infra', 'rehearsal', 'install-registry.sh')], { encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`install-registry.sh: ${install.stderr}`);
  const template = committedSynth().templates['prod-cn'].toJSON() as Parameters<typeof rehearseHelmPull>[0];
  ({ results, wrongForm } = await rehearseHelmPull(template, cn.images.mirrorRegistry!, work));
}, 1_800_000);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test('the handler pulls each release the mirror step could fill, from oci://<mirror>/charts/<chart>', () => {
  const pulled = results.filter((r) => r.ok).map((r) => r.chart).sort();
  expect(pulled).toEqual(['external-secrets', 'karpenter']);
  for (const r of results) expect(r.repository).toBe(`oci://${cn.images.mirrorRegistry}/charts/${r.chart}`);
  for (const r of results.filter((x) => x.mirrored)) expect(r.ok).toBe(true);
});

test('pulled charts run only mirrored images, exactly the ones the mirror plan copies', () => {
  for (const [name, r] of [['karpenter', results.find((x) => x.chart === 'karpenter')!], ['externalSecrets', results.find((x) => x.chart === 'external-secrets')!]] as const) {
    const expected = chartImages(CHARTS[name]).map((i) => `${cn.images.mirrorRegistry}/${i.repository}:${i.tag}`);
    expect([...new Set(r.images.map((i) => i.replace(/@sha256:[0-9a-f]+$/, '')))].sort()).toEqual(expected.sort());
  }
});

test('a chart missing from the mirror fails the pull (what the preflight prevents); the old repository form fails too', () => {
  for (const r of results.filter((x) => !x.mirrored)) expect(r.detail).toMatch(/not found/);
  expect(wrongForm.ok).toBe(false);
});
