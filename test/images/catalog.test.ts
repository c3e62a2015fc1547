import { execFileSync } from 'node:child_process';
import { bundledFluentBit, CANNOT_BUILD, declaredUnbuildable, planImages } from '../../cluster/images/catalog';
import { normalizeReference } from '../../cluster/images/references';
import { imageRef, loadEnvironments } from '../../manifests-src/config';
import { FLUENT_BIT_OF_AWS_RELEASE } from '../../manifests-src/platform/fluent-bit';
import { PROJECT_ROOT } from '../../local/prerequisites';

/**
 * Issue 23 item 7: an image without a recipe is excused only by name, with its reason. A new image in the config
 * with no recipe fails the plan (and so the cluster suite) instead of being listed as "not buildable here".
 */
describe('image catalog: unbuildable images are named exceptions', () => {
  test('an image named in CANNOT_BUILD is unavailable with its checked reason', () => {
    const reasons = { legacyImage: 'published only as a container image, and no registry serves its source here' };
    expect(declaredUnbuildable('dev', 'example.org/x:1', 'legacyImage', reasons)).toEqual({ ref: 'example.org/x:1', reason: reasons.legacyImage });
  });

  test('an image with neither a recipe nor a named reason is an error naming the image, the config key and the fix', () => {
    expect(() => declaredUnbuildable('dev', 'example.org/new:1', 'newImage')).toThrow(
      /dist\/dev uses image example\.org\/new:1 \(images\.newImage\), which has no recipe in cluster\/images\/catalog\.ts: add one, or.* CANNOT_BUILD/,
    );
  });

  test('every exception carries a reason a reader can check', () => {
    for (const [key, reason] of Object.entries(CANNOT_BUILD)) expect({ key, long: (reason ?? '').length > 40 }).toEqual({ key, long: true });
  });

  test('every image of dist/dev has a recipe: the log shipper is the Fluent Bit its pinned aws-for-fluent-bit release bundles', () => {
    const plan = planImages(PROJECT_ROOT, 'dev');
    expect(plan.unavailable).toEqual([]);
    const dev = loadEnvironments().find((e) => e.name === 'dev')!;
    const fluentBit = plan.provides.get(normalizeReference(imageRef(dev, 'fluentBit')))!;
    const version = FLUENT_BIT_OF_AWS_RELEASE[dev.images.fluentBit.tag];
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(fluentBit.recipe.command(() => 'ARCHIVE')).toEqual(expect.arrayContaining(['cluster/images/fluent-bit/build.sh', version]));
  });

  test('an aws-for-fluent-bit pin whose bundled Fluent Bit is not listed is refused, naming the field and where to add it', () => {
    expect(() => bundledFluentBit('2.32.5')).toThrow(/images\.fluentBit\.tag 2\.32\.5: which Fluent Bit it bundles is unknown; add it to FLUENT_BIT_OF_AWS_RELEASE in manifests-src\/platform\/fluent-bit\.ts/);
  });

  test('the Fluent Bit build says which source is missing and how to get it, before it installs or builds anything', () => {
    // The shell's own check: the build script refuses a source without the tag, saying where to get it.
    const out = (() => {
      try {
        execFileSync('bash', ['cluster/build/fluent-bit.sh', '0.0.0'], { cwd: PROJECT_ROOT, env: { ...process.env, FLUENT_BIT_SOURCE: '/nonexistent' }, stdio: 'pipe' });
        return { status: 0, stderr: '' };
      } catch (e) {
        const x = e as { status: number; stderr: Buffer };
        return { status: x.status, stderr: x.stderr.toString() };
      }
    })();
    expect(out.status).toBe(3);
    expect(out.stderr).toMatch(/no fluent-bit source with tag v0\.0\.0: clone https:\/\/github\.com\/fluent\/fluent-bit .* or set FLUENT_BIT_SOURCE/);
  });
});
