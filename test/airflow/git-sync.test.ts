import { environment, find, podSpecOf, render } from '../support/render';

describe('git-sync v4', () => {
  const objs = render([environment('prod', { dags: { repoUrl: 'https://git.example.org/team/dags.git', branch: 'release', syncPeriodSeconds: 45 } })]);

  test.each(['airflow-scheduler', 'airflow-dag-processor', 'airflow-triggerer', 'airflow-worker'])('%s gets DAGs: one-shot init, then a native sidecar', (name) => {
    const spec = podSpecOf(find(objs, 'Deployment', name))!;
    const [init, sidecar] = spec.initContainers;
    expect([init.name, init.restartPolicy, sidecar.name, sidecar.restartPolicy]).toEqual(['git-sync-init', undefined, 'git-sync', 'Always']);
    const envOf = (c: any) => Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(envOf(init)).toMatchObject({ GITSYNC_REPO: 'https://git.example.org/team/dags.git', GITSYNC_REF: 'release', GITSYNC_ONE_TIME: 'true' });
    expect(envOf(sidecar)).toMatchObject({ GITSYNC_PERIOD: '45s', GITSYNC_MAX_FAILURES: '-1', GITSYNC_ONE_TIME: 'false' });
    expect(spec.containers[0].volumeMounts).toContainEqual({ name: 'dags', mountPath: '/opt/airflow/dags-sync', readOnly: true });
  });

  test('only v4 variable names are used (v3 GIT_SYNC_* would be silently ignored)', () => {
    const names = objs.flatMap((o) => (podSpecOf(o.obj)?.initContainers ?? []).flatMap((c: any) => c.env.map((e: any) => e.name)));
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n: string) => !n.startsWith('GITSYNC_'))).toEqual([]);
  });

  test('the api-server does not need DAG files: no git-sync container, no DAG volume or mount', () => {
    const spec = podSpecOf(find(objs, 'Deployment', 'airflow-api-server'))!;
    expect(spec.initContainers).toBeUndefined();
    expect(spec.containers.map((c: any) => c.name)).not.toContain('git-sync');
    expect((spec.volumes ?? []).map((v: any) => v.name)).not.toContain('dags');
    for (const c of spec.containers) expect((c.volumeMounts ?? []).map((m: any) => m.name)).not.toContain('dags');
  });

  test('HTTPS credentials come from the git secret; SSH mode mounts a key and known_hosts instead', () => {
    const https = podSpecOf(find(objs, 'Deployment', 'airflow-worker'))!.initContainers[0].env;
    expect(https.find((e: any) => e.name === 'GITSYNC_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'airflow-git', key: 'password' });
    const ssh = podSpecOf(find(render([environment('prod', { dags: { repoUrl: 'git@example.org:team/dags.git', auth: 'ssh' } })]), 'Deployment', 'airflow-worker'))!;
    const sshEnv = Object.fromEntries(ssh.initContainers[0].env.map((e: any) => [e.name, e.value]));
    expect(sshEnv).toMatchObject({ GITSYNC_SSH_KEY_FILE: '/etc/git-secret/ssh-key', GITSYNC_SSH_KNOWN_HOSTS: 'true' });
    expect(ssh.volumes).toContainEqual({ name: 'git-credentials', secret: { secretName: 'airflow-git', defaultMode: 0o440 } });
  });

  test('without dags.repoUrl the CodeCommit repository infra/ creates is used, in the right partition', () => {
    const repo = (name: string) => podSpecOf(find(render([environment(name)]), 'Deployment', 'airflow-worker', name))!.initContainers[0].env.find((e: any) => e.name === 'GITSYNC_REPO').value;
    expect(repo('prod')).toBe('https://git-codecommit.us-east-1.amazonaws.com/v1/repos/airflow-prod-dags');
    expect(repo('prod-cn')).toBe('https://git-codecommit.cn-north-1.amazonaws.com.cn/v1/repos/airflow-prod-cn-dags');
  });
});
