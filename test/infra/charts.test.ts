import { loadEnvironments } from '../../manifests-src/config';
import { CHARTS, chartSource, imageRepository, mirroredRepositoryNames } from '../../infra/lib/charts';
import { repositoryNames } from '../../infra/lib/registries';
import { kedaValues } from '../../infra/lib/keda';
import { karpenterValues } from '../../infra/lib/karpenter';

const [dev, , cn] = loadEnvironments();

test('every chart is pinned to an exact version', () => {
  for (const c of Object.values(CHARTS)) expect(c.version).toMatch(/^\d+\.\d+\.\d+$/);
});

test('with a mirror, charts come from oci://<mirror>/charts and images from <mirror>/<path>', () => {
  expect(chartSource(dev, 'keda').repository).toBe(CHARTS.keda.repository);
  expect(chartSource(cn, 'keda')).toEqual({ chart: 'keda', version: CHARTS.keda.version, repository: `oci://${cn.images.mirrorRegistry}/charts` });
  expect(imageRepository(cn, 'ghcr.io/kedacore/keda')).toBe(`${cn.images.mirrorRegistry}/kedacore/keda`);
  expect(kedaValues(cn)).toMatchObject({ image: { keda: { registry: cn.images.mirrorRegistry, repository: 'kedacore/keda' } } });
  expect(karpenterValues(cn, 'q')).toMatchObject({ controller: { image: { repository: `${cn.images.mirrorRegistry}/karpenter/controller`, digest: '' } } });
});

test('ECR holds a repository for every mirrored chart and image and for our images', () => {
  const names = repositoryNames(cn);
  for (const n of mirroredRepositoryNames()) expect(names).toContain(n);
  expect(names).toContain(cn.images.airflow.repository);
  expect(names).toContain('charts/karpenter');
  expect(new Set(names).size).toBe(names.length);
});
