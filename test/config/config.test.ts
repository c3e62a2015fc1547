import { loadEnvironments } from '../../manifests-src/config';
import { configProblems } from '../support/config-problems';
import { environments as committed } from '../../manifests-src/config/environments';

const prodInput = committed.find((e) => e.name === 'prod')!;

const problemsOf = configProblems;

describe('configuration', () => {
  test('the committed environments are valid and prod gets production defaults', () => {
    const envs = loadEnvironments();
    expect(envs.map((e) => e.name)).toEqual(['dev', 'prod', 'prod-cn']);
    const prod = envs.find((e) => e.name === 'prod')!;
    expect(prod.components.scheduler.replicas).toBeGreaterThanOrEqual(2);
    expect(prod.components.apiServer.replicas).toBeGreaterThanOrEqual(2);
    expect(prod.pgbouncer.replicas).toBeGreaterThanOrEqual(2);
    expect(prod.infra.database.deletionProtection).toBe(true);
  });

  const minimal = { name: 'min', aws: { account: '111122223333', region: 'eu-west-1', partition: 'aws' as const }, cluster: { name: 'c' }, ingress: { host: 'a.example.org' }, gitops: { repoUrl: 'https://example.org/r.git' } };

  test('a minimal environment (name, aws, cluster, ingress, gitops, dags.repoUrl) is enough', () => {
    const [env] = loadEnvironments([{ ...minimal, dags: { repoUrl: 'git@git.example.org:data/dags.git' } }]);
    expect(env.workers.queues).toEqual(['default']);
    expect(env.images.airflow.tag).not.toBe('latest');
    expect(env.infra.createCodeCommitRepo).toBe(false);
  });

  test('the DAG repository is any git URL; without one the stack creates CodeCommit only when asked', () => {
    expect(() => loadEnvironments([minimal])).toThrow(/environments\[0\]\(min\)\.dags\.repoUrl: required: the git URL of the DAG repository/);
    expect(loadEnvironments([{ ...minimal, infra: { createCodeCommitRepo: true } }])[0].infra.createCodeCommitRepo).toBe(true);
  });

  test('the Kubernetes API endpoint: private by default; a /0 is refused naming the field and the fix unless opted in; CIDRs are checked', () => {
    const dags = { repoUrl: 'https://git.example.org/d.git' };
    const withCidrs = (eks: Record<string, unknown>) => ({ ...minimal, dags, infra: { eks } });
    expect(loadEnvironments([{ ...minimal, dags }])[0].infra.eks.publicAccessCidrs).toEqual([]);
    expect(() => loadEnvironments([withCidrs({ publicAccessCidrs: ['203.0.113.0/24', '0.0.0.0/0'] })])).toThrow(
      /environments\[0\]\(min\)\.infra\.eks\.publicAccessCidrs\.1: 0\.0\.0\.0\/0 opens the Kubernetes API endpoint to the whole internet: .*use \[\] for a private endpoint, or set infra\.eks\.allowPublicEndpointFromAnywhere: true/,
    );
    expect(() => loadEnvironments([withCidrs({ publicAccessCidrs: ['10.0.0.0/0'] })])).toThrow(/publicAccessCidrs\.0: 10\.0\.0\.0\/0 opens/);
    expect(loadEnvironments([withCidrs({ publicAccessCidrs: ['0.0.0.0/0'], allowPublicEndpointFromAnywhere: true })])[0].infra.eks.publicAccessCidrs).toEqual(['0.0.0.0/0']);
    expect(() => loadEnvironments([withCidrs({ publicAccessCidrs: ['203.0.113.0'] })])).toThrow(/publicAccessCidrs\.0: "203\.0\.113\.0" is not an IPv4 CIDR/);
    expect(() => loadEnvironments([withCidrs({ publicAccessCidrs: ['198.51.100.300/24'] })])).toThrow(/is not an IPv4 CIDR/);
    expect(() => loadEnvironments([withCidrs({ publicAccessCidrs: ['203.0.113.7/24'] })])).toThrow(/publicAccessCidrs\.0: "203\.0\.113\.7\/24" has host bits set: did you mean "203\.0\.113\.0\/24"\?/);
    expect(loadEnvironments([withCidrs({ publicAccessCidrs: ['203.0.113.7/32', '198.51.100.0/22'] })])[0].infra.eks.publicAccessCidrs).toHaveLength(2);
  });

  test('per-partition defaults: aws-cn starts from types and engines known there; a field the config sets wins', () => {
    const dags = { repoUrl: 'https://git.example.org/d.git' };
    const [aws] = loadEnvironments([{ ...minimal, dags }]);
    const cnInput = { ...minimal, dags, aws: { account: '111122223333', region: 'cn-north-1', partition: 'aws-cn' as const }, images: { mirrorRegistry: '111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn' } };
    const [cn] = loadEnvironments([cnInput]);
    expect(aws.infra.eks.systemNodeInstanceType).toBe('m7g.large');
    expect(aws.infra.cache.engine).toBe('valkey');
    expect(cn.infra.eks.systemNodeInstanceType).toBe('m6g.large');
    expect(cn.infra.cache).toMatchObject({ engine: 'redis', nodeType: 'cache.m6g.large' });
    expect(cn.infra.database).toMatchObject({ instanceClass: 'db.r6g.large', engineVersion: '16.8' });
    expect(cn.karpenter.instanceFamilies.every((f) => /6g$/.test(f))).toBe(true);
    const [chosen] = loadEnvironments([{ ...cnInput, infra: { cache: { engine: 'valkey' } } }]);
    expect(chosen.infra.cache).toMatchObject({ engine: 'valkey', nodeType: 'cache.m6g.large' });
  });

  test.each([
    ['wrong type', { workers: { concurrency: 'sixteen' } }, /environments\[0\]\(prod\)\.workers\.concurrency: .*number.*\(got "sixteen"\)/],
    ['unknown field', { workers: { replicaz: 3 } }, /workers\.replicaz: unknown field; remove it or fix its spelling/],
    ['bad enum', { ingress: { scheme: 'public' } }, /ingress\.scheme: .*"internal".*"internet-facing".*\(got "public"\)/],
    ['unknown region', { aws: { account: '123456789012', region: 'mars-north-1', partition: 'aws' } }, /aws\.region: unknown region; use one of .*us-east-1/],
    ['partition mismatch', { aws: { account: '123456789012', region: 'cn-north-1', partition: 'aws' } }, /aws\.partition: region cn-north-1 is in partition "aws-cn"; set partition: "aws-cn"/],
    ['bad account', { aws: { account: '1234', region: 'us-east-1', partition: 'aws' } }, /aws\.account: a 12-digit AWS account id \(got "1234"\)/],
    ['min above max', { workers: { minReplicas: 5, maxReplicas: 2 } }, /workers\.minReplicas: must be <= workers\.maxReplicas \(2\)/],
    ['worker memory below the measured floor', { workers: { concurrency: 32, resources: { cpu: '1', memory: '2Gi' } } }, /workers\.resources\.memory: 2Gi is too small for workers\.concurrency=32 with workers\.taskMemoryMiB=264: needs at least \d+Mi/],
    ['worker memory limit below the floor', { workers: { resources: { cpu: '1', memory: '8Gi', memoryLimit: '1Gi' } } }, /workers\.resources\.memoryLimit: 1Gi is too small for workers\.concurrency=16/],
    ['latest tag', { images: { airflow: { registry: 'docker.io', repository: 'apache/airflow', tag: 'latest' } } }, /images\.airflow\.tag: a pinned tag/],
    ['bad memory quantity', { workers: { resources: { cpu: '1', memory: '4GB' } } }, /workers\.resources\.memory: a memory quantity such as "512Mi"/],
    ['DAG repository size in GB', { dags: { repositorySize: '90MB' } }, /dags\.repositorySize: a size such as "128Mi" or "1Gi": `du -sh` of a fresh `git clone` of the DAG repository, rounded up \(got "90MB"\)/],
    ['DAG repository size beyond what a worker can hold per slot', { dags: { repositorySize: '20Gi' } }, /dags\.repositorySize: from 1Mi to 16Gi: every worker holds one checkout per Celery slot; keep the DAGs in a repository of their own \(got "20Gi"\)/],
    ['Bottlerocket AMI', { karpenter: { amiAlias: 'bottlerocket@latest' } }, /karpenter\.amiAlias: an AL2023 alias such as "al2023@v20251110" or "al2023@latest" \(nodes take the kubelet settings as a nodeadm NodeConfig, which Bottlerocket does not read\)/],
    ['one AZ', { cluster: { name: 'x', availabilityZones: 1 } }, /cluster\.availabilityZones: .*>=2/],
    ['s3 logs without bucket', { logging: { remoteTaskLogs: 's3' } }, /logging\.s3Bucket: required when logging\.remoteTaskLogs is "s3"/],
    ['malformed VPC id', { infra: { vpc: { existingVpcId: 'vpc-xyz' } } }, /infra\.vpc\.existingVpcId: a VPC id such as/],
  ])('%s is refused with the field, the expected form and the value', (_label, override, message) => {
    const problems = problemsOf([{ ...prodInput, ...override }]);
    expect(problems.join('\n')).toMatch(message);
  });

  test('PgBouncer tracks prepared statements (the async engine needs it) and its image pins a Debian package version', () => {
    const dags = { repoUrl: 'https://git.example.org/d.git' };
    const [env] = loadEnvironments([{ ...minimal, dags }]);
    expect(env.pgbouncer.maxPreparedStatements).toBeGreaterThan(0);
    expect(() => loadEnvironments([{ ...minimal, dags, pgbouncer: { maxPreparedStatements: 0 } }])).toThrow(
      /pgbouncer\.maxPreparedStatements: must be > 0: the API server's async engine \(asyncpg\).*set pgbouncer\.maxPreparedStatements to at least 100/,
    );
    expect(() => loadEnvironments([{ ...minimal, dags, images: { pgbouncer: { repository: 'airflow-eks/pgbouncer', suite: 'trixie', packageVersion: 'latest' } } }])).toThrow(
      /images\.pgbouncer\.packageVersion: a Debian package version such as "1\.24\.1-1\+deb13u2"/,
    );
  });

  test('aws-cn requires the ECR mirror so nothing is pulled from unreachable hosts', () => {
    const cn = committed.find((e) => e.name === 'prod-cn')!;
    const { images: _images, ...withoutMirror } = cn;
    expect(problemsOf([withoutMirror]).join('\n')).toMatch(/images\.mirrorRegistry: required in aws-cn/);
  });

  test('[core] parallelism: unset, the schedulers together queue exactly the worker slots at KEDA\'s maximum; set lower, refused naming the fix', () => {
    const base = { ...minimal, dags: { repoUrl: 'https://example.org/d.git' } };
    const at = (over: object) => loadEnvironments([{ ...base, ...over }])[0];
    const slots = (e: ReturnType<typeof at>) => (e.workers.maxReplicas + (e.workers.longTasks.enabled ? e.workers.longTasks.maxReplicas : 0)) * e.workers.concurrency;
    for (const over of [{}, { workers: { maxReplicas: 7, concurrency: 12 }, components: { scheduler: { replicas: 3 } } }, { workers: { maxReplicas: 4, longTasks: { enabled: true, maxReplicas: 2 } } }]) {
      const e = at(over);
      const schedulers = e.components.scheduler.replicas;
      // Enough for every slot, and not one scheduler's share more.
      expect(e.airflow.parallelism * schedulers).toBeGreaterThanOrEqual(slots(e));
      expect((e.airflow.parallelism - 1) * schedulers).toBeLessThan(slots(e));
    }
    expect(at({ airflow: { parallelism: 500 } }).airflow.parallelism).toBe(500);
    const problems = problemsOf([{ ...base, workers: { maxReplicas: 10, concurrency: 16 }, components: { scheduler: { replicas: 2 } }, airflow: { parallelism: 64 } }]);
    expect(problems).toEqual([expect.stringMatching(/airflow\.parallelism: must be >= 80: 2 scheduler\(s\) x 64 queue fewer tasks than the 160 worker slots .*leave parallelism unset/)]);
  });

  test('every problem is reported at once, not only the first', () => {
    const problems = problemsOf([{ ...prodInput, name: 'Prod', workers: { concurrency: 0, queues: [] } }]);
    expect(problems.length).toBeGreaterThanOrEqual(3);
  });

  test('duplicate environment names and empty lists are refused', () => {
    expect(problemsOf([prodInput, prodInput]).join('\n')).toMatch(/name "prod" is used twice/);
    expect(problemsOf([]).join('\n')).toMatch(/non-empty list/);
  });
});
