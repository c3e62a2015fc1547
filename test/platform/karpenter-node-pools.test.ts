import { environment, find, render } from '../support/render';

describe('Karpenter NodePools and EC2NodeClass', () => {
  const env = environment('prod');
  const objs = render([env]);
  const core = find(objs, 'NodePool', 'airflow-core');
  const workers = find(objs, 'NodePool', 'airflow-workers');
  const req = (np: any, key: string) => np.spec.template.spec.requirements.find((r: any) => r.key === key)?.values;

  test('cluster-scoped objects carry no namespace', () => {
    for (const o of [core, workers, find(objs, 'EC2NodeClass', 'airflow'), find(objs, 'ClusterSecretStore', 'aws-secrets-manager')]) expect(o.metadata.namespace).toBeUndefined();
  });

  test('arm64 Graviton families only; core on-demand, workers may use spot', () => {
    for (const np of [core, workers]) {
      expect(req(np, 'kubernetes.io/arch')).toEqual(['arm64']);
      expect(req(np, 'karpenter.k8s.aws/instance-family')).toEqual(env.karpenter.instanceFamilies);
      expect(req(np, 'karpenter.k8s.aws/instance-family').every((f: string) => /\dg/.test(f))).toBe(true);
    }
    expect(req(core, 'karpenter.sh/capacity-type')).toEqual(['on-demand']);
    expect(req(workers, 'karpenter.sh/capacity-type')).toEqual(['spot', 'on-demand']);
    expect(workers.spec.template.spec.taints).toEqual([{ key: 'airflow-eks/pool', value: 'workers', effect: 'NoSchedule' }]);
  });

  test('consolidation under a disruption budget, and node drains wait for the worker grace period', () => {
    expect(workers.spec.disruption).toEqual({ consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '5m', budgets: [{ nodes: '10%' }] });
    const minutes = parseInt(workers.spec.template.spec.terminationGracePeriod, 10);
    expect(minutes * 60).toBeGreaterThan(env.workers.terminationGracePeriodSeconds);
  });

  test('subnets and security groups are found by the discovery tag; AMI by alias; IMDSv2 enforced', () => {
    const nc = find(objs, 'EC2NodeClass', 'airflow');
    expect(nc.spec.subnetSelectorTerms).toEqual([{ tags: { 'karpenter.sh/discovery': 'airflow-prod' } }]);
    expect(nc.spec.securityGroupSelectorTerms).toEqual([{ tags: { 'karpenter.sh/discovery': 'airflow-prod' } }]);
    expect(nc.spec.amiSelectorTerms).toEqual([{ alias: env.karpenter.amiAlias }]);
    expect(nc.spec.role).toBe('KarpenterNodeRole-airflow-prod');
    expect(nc.spec.metadataOptions.httpTokens).toBe('required');
  });

  test('core components are pinned to the core pool', () => {
    for (const name of ['airflow-scheduler', 'airflow-api-server', 'pgbouncer']) {
      expect(find(objs, 'Deployment', name).spec.template.spec.nodeSelector['airflow-eks/pool']).toBe('core');
    }
  });

  test('prod environments pin the AMI release; only dev follows latest', () => {
    for (const name of ['prod', 'prod-cn']) {
      expect(find(render([environment(name)]), 'EC2NodeClass', 'airflow', name).spec.amiSelectorTerms[0].alias).toMatch(/^al2023@v\d{8}$/);
    }
    expect(find(render([environment('dev')]), 'EC2NodeClass', 'airflow', 'dev').spec.amiSelectorTerms[0].alias).toBe('al2023@latest');
  });
});
