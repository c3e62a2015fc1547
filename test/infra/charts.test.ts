import { loadEnvironments } from '../../manifests-src/config';
import { CHARTS, chartSource, imageRepository, mirroredRepositoryNames } from '../../infra/lib/charts';
import { repositoryNames } from '../../infra/lib/registries';
import { kedaValues } from '../../infra/lib/keda-addon';
import { karpenterValues } from '../../infra/lib/karpenter-addon';

const [dev, , cn] = loadEnvironments();

test('every chart is pinned to an exact version', () => {
  for (const c of Object.values(CHARTS)) expect(c.version).toMatch(/^\d+\.\d+\.\d+$/);
});

test('oci:// repositories end in the chart name (the Helm handler pulls exactly the repository)', () => {
  for (const [name, c] of Object.entries(CHARTS)) {
    for (const env of [dev, cn]) {
      const source = chartSource(env, name as keyof typeof CHARTS);
      if (source.repository.startsWith('oci://')) expect(source.repository.split('/').pop()).toBe(c.chart);
    }
  }
  expect(chartSource(dev, 'karpenter').repository).toBe('oci://public.ecr.aws/karpenter/karpenter');
});

test('with a mirror, charts come from oci://<mirror>/charts/<chart> and images from <mirror>/<path>', () => {
  expect(chartSource(dev, 'keda').repository).toBe(CHARTS.keda.repository);
  expect(chartSource(cn, 'keda')).toEqual({ chart: 'keda', version: CHARTS.keda.version, repository: `oci://${cn.images.mirrorRegistry}/charts/keda` });
  expect(imageRepository(cn, 'ghcr.io/kedacore/keda')).toBe(`${cn.images.mirrorRegistry}/kedacore/keda`);
  expect(kedaValues(cn)).toMatchObject({ image: { keda: { registry: cn.images.mirrorRegistry, repository: 'kedacore/keda' } } });
  expect(karpenterValues(cn, 'q')).toMatchObject({ controller: { image: { repository: `${cn.images.mirrorRegistry}/karpenter/controller`, digest: '' } } });
});

test('ECR holds a repository for every mirrored chart and image and for our images', () => {
  const names = repositoryNames([cn]);
  for (const n of mirroredRepositoryNames()) expect(names).toContain(n);
  expect(names).toContain(cn.images.airflow.repository);
  expect(names).toContain('charts/karpenter');
  expect(new Set(names).size).toBe(names.length);
});
