import { CANNOT_BUILD, declaredUnbuildable } from '../../cluster/images/catalog';

/**
 * Issue 23 item 7: an image without a recipe is excused only by name, with its reason. A new image in the config
 * with no recipe fails the plan (and so the cluster suite) instead of being listed as "not buildable here".
 */
describe('image catalog: unbuildable images are named exceptions', () => {
  test('an image named in CANNOT_BUILD is unavailable with its checked reason', () => {
    const [key, reason] = Object.entries(CANNOT_BUILD)[0];
    expect(declaredUnbuildable('dev', 'example.org/x:1', key)).toEqual({ ref: 'example.org/x:1', reason });
  });

  test('an image with neither a recipe nor a named reason is an error naming the image, the config key and the fix', () => {
    expect(() => declaredUnbuildable('dev', 'example.org/new:1', 'newImage')).toThrow(
      /dist\/dev uses image example\.org\/new:1 \(images\.newImage\), which has no recipe in cluster\/images\/catalog\.ts: add one, or.* CANNOT_BUILD/,
    );
  });

  test('every exception carries a reason a reader can check', () => {
    for (const [key, reason] of Object.entries(CANNOT_BUILD)) expect({ key, long: (reason ?? '').length > 40 }).toEqual({ key, long: true });
  });
});
