import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The CDK cloud assembly `npm run synth:infra` writes, relative to the repository root. */
export const CDK_OUT = 'cdk.out';

/** Every CloudFormation template in cdk.out/ (stacks and nested stacks), or [] when infra was not synthesized. */
export function cdkTemplates(root: string): string[] {
  const dir = join(root, CDK_OUT);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.template.json'))
    .sort()
    .map((f) => `${CDK_OUT}/${f}`);
}

interface CloudAssemblyManifest {
  artifacts?: Record<string, { type?: string; environment?: string; properties?: { templateFile?: string } }>;
}

/**
 * Region each stack template deploys to, read from cdk.out/manifest.json (`aws://account/region`).
 * Environment-agnostic stacks (`unknown-region`) and nested templates are absent from the map.
 */
export function templateRegions(root: string): Map<string, string> {
  const regions = new Map<string, string>();
  const file = join(root, CDK_OUT, 'manifest.json');
  if (!existsSync(file)) return regions;
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as CloudAssemblyManifest;
  for (const artifact of Object.values(manifest.artifacts ?? {})) {
    const template = artifact.properties?.templateFile;
    const region = artifact.environment?.split('/')[3];
    if (artifact.type === 'aws:cloudformation:stack' && template && region && region !== 'unknown-region') {
      regions.set(`${CDK_OUT}/${template}`, region);
    }
  }
  return regions;
}
