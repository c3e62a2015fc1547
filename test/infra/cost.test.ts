import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { loadEnvironments, maxWorkerSlots, sizedRequest, type EnvironmentConfig } from '../../manifests-src/config';
import { memoryMiB, workerMemoryFloorMiB } from '../../manifests-src/config/worker-memory';
import { DEFAULT_ASSUMPTIONS, KMS_KEYS, SECRETS, cpuOf, crossover, estimate, gibOf, ratioAt } from '../../infra/cost/estimate';
import { mwaaClassFor } from '../../infra/cost/mwaa';
import { awakeShare, weeklyHours } from '../../infra/cost/cron-hours';
import { MWAA_CLASSES, PRICE_TABLE, allPrices, mwaaMemoryPerSlotMiB } from '../../infra/cost/prices';
import { costDoc } from '../../infra/cost/markdown';
import { atCapacity, reportFor } from '../../infra/cost/report';
import { CLASS_GOAL, compareClasses, likeForLike } from '../../infra/cost/mwaa-classes';
import { MWAA_DEFAULT_MAX_WORKERS } from '../../infra/cost/prices';
import { MWAA_CPU_PER_SLOT } from '../../manifests-src/config/worker-memory';
import { dagLoad, neededIntervalSeconds } from '../../bench/scale-model';
import { SCALE_MODEL } from '../../manifests-src/config';
import { UsageError, parseCostArgs } from '../../infra/cost/args';
import { withOfficeHours } from '../../infra/cost/goals';
import { NAT_INSTANCE_DISK_GIB } from '../../infra/lib/vpc';

const envs = loadEnvironments();
const [dev, prod, cn] = envs;
const H = PRICE_TABLE.hoursPerMonth;
const us = PRICE_TABLE.regions['us-east-1'];
const a = DEFAULT_ASSUMPTIONS;
const line = (e: ReturnType<typeof estimate>, name: string) => e.lines.find((l) => l.component === name)?.monthly;
const core = (e: ReturnType<typeof estimate>) => e.lines.find((l) => l.component === 'Airflow core nodes')!.detail;
type Infra = EnvironmentConfig['infra'];
const withInfra = (env: EnvironmentConfig, f: (i: Infra) => Partial<Infra>): EnvironmentConfig => ({ ...env, infra: { ...env.infra, ...f(env.infra) } });

test('quantities parse like Kubernetes; office hours count the weekly window', () => {
  expect(cpuOf('500m')).toBe(0.5);
  expect(gibOf('512Mi')).toBe(0.5);
  expect(weeklyHours('0 8 * * 1-5', '0 19 * * 1-5')).toBe(55);
  expect(weeklyHours('30 9 * * 1,3,5', '0 17 * * 1,3,5')).toBe(22.5);
  expect(awakeShare({ officeHours: { ...dev.officeHours, enabled: false } })).toBe(1);
  expect(() => weeklyHours('0 19 * * 1-5', '0 8 * * 1-5')).toThrow(/officeHours.end .* later in the day/);
});

test('every price names its official page, the date, and whether it was confirmed', () => {
  for (const region of Object.values(PRICE_TABLE.regions)) {
    for (const [key, p] of allPrices(region)) {
      expect([key, p.url]).toEqual([key, expect.stringMatching(/^https:\/\/(aws\.amazon\.com|www\.amazonaws\.cn)\//)]);
      expect(p.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(typeof p.verified).toBe('boolean');
      if (!p.verified) expect(p.note ?? '').not.toBe('');
    }
  }
  expect(estimate(prod).unverifiedPrices.length).toBeGreaterThan(0);
});

test('MWAA class at equal slots: the smallest whose workers hold the peak (micro does not autoscale)', () => {
  expect(MWAA_CLASSES.map((c) => c.slotsPerWorker)).toEqual([3, 5, 10, 20, 40, 80]);
  expect(mwaaClassFor(3).name).toBe('mw1.micro');
  expect(mwaaClassFor(4).name).toBe('mw1.small');
  expect(mwaaClassFor(dev.workers.maxReplicas * dev.workers.concurrency).name).toBe('mw1.small');
  expect(mwaaClassFor(prod.workers.maxReplicas * prod.workers.concurrency).name).toBe('mw1.medium');
  expect(mwaaClassFor(400).name).toBe('mw1.large');
  expect(mwaaClassFor(1000).name).toBe('mw1.xlarge');
  expect(() => mwaaClassFor(5000)).toThrow(/exceed the largest MWAA class/);
});

// The class each environment is compared against is the one the estimate picks for its peak slots (also where no
// MWAA price exists, aws-cn); a slot of ours must not get less memory than a slot of that class's worker.
// prod and prod-cn set no worker size or concurrency: they check the schema's defaults.
test('worker memory per Celery slot is at least what a worker of the compared MWAA class gives per slot, and passes the schema floor', () => {
  expect(MWAA_CLASSES.map((c) => Math.round(mwaaMemoryPerSlotMiB(c)))).toEqual([1024, 410, 410, 410, 614, 614]);
  for (const env of envs) {
    const cls = mwaaClassFor(maxWorkerSlots(env));
    if (estimate(env).mwaa) expect(estimate(env).mwaa!.environmentClass).toBe(cls.name);
    const w = env.workers;
    const limit = memoryMiB(w.resources.memoryLimit ?? w.resources.memory);
    expect({ env: env.name, cls: cls.name, perSlot: limit / w.concurrency >= mwaaMemoryPerSlotMiB(cls) }).toEqual({ env: env.name, cls: cls.name, perSlot: true });
    expect(limit).toBeGreaterThanOrEqual(workerMemoryFloorMiB(w.concurrency, w.taskMemoryMiB));
  }
});

test('MWAA: environment 24x7 with the first worker included, extra workers only for busy slots, shared NAT and logs', () => {
  const e = estimate(prod, { busySlots: 40 });
  const m = e.mwaa!;
  const env = line(e, 'NAT')!;
  expect(m.environmentClass).toBe('mw1.medium');
  expect(m.lines.find((l) => l.component === 'Environment mw1.medium')!.monthly).toBeCloseTo(H * us.mwaa!.environmentHour['mw1.medium']!.value);
  expect(m.lines.find((l) => l.component === 'Additional workers')!.monthly).toBeCloseTo(3 * H * us.mwaa!.workerHour['mw1.medium']!.value);
  expect(m.lines.find((l) => l.component === 'NAT')!.monthly).toBe(env);
  // Idle: the included worker is still billed on MWAA; our idle workers cost nothing.
  const idle = estimate(prod, { busySlots: 0 });
  expect(idle.mwaa!.lines.find((l) => l.component === 'Additional workers')!.monthly).toBe(0);
  expect(line(idle, 'Workers (spot pool)')).toBe(0);
  expect(m.serverlessMonthly).toBeCloseTo(40 * H * us.mwaa!.serverlessTaskHour!.value + env + line(e, 'CloudWatch Logs (tasks, containers)')!);
});

test('each line is the table price times the configured quantity', () => {
  const e = estimate(prod);
  expect(line(e, 'EKS control plane')).toBeCloseTo(H * us.eksClusterHour.value);
  expect(line(e, 'System nodes')).toBeCloseTo(2 * (H * us.ec2Hour['t4g.medium'].value + prod.infra.eks.systemNodeDiskGib * us.ebsGp3GbMonth.value));
  expect(line(e, 'NAT')).toBeCloseTo(2 * H * (us.natGatewayHour.value + us.publicIpv4Hour.value) + a.natGbPerMonth * us.natGatewayPerGb.value);
  expect(line(e, 'ElastiCache broker')).toBeCloseTo(2 * H * us.cacheNodeHour.valkey['cache.t4g.small'].value);
  expect(line(e, 'KMS keys')).toBeCloseTo(KMS_KEYS * us.kmsKeyMonth.value);
  expect(line(e, 'Secrets Manager')).toBeCloseTo(SECRETS * us.secretMonth.value);
  const writer = a.dbAcuIdle + a.dbAcuPerBusySlot * e.busySlots;
  expect(line(e, 'Aurora Serverless v2')).toBeCloseTo((writer + prod.infra.database.minCapacityAcu) * H * us.auroraAcuHour.value);
  expect(e.total).toBeCloseTo(e.lines.reduce((s, l) => s + l.monthly, 0));
});

describe('each config field changes the line it should', () => {
  const base = estimate(prod);
  const diff = (env: EnvironmentConfig, name: string) => [line(base, name), line(estimate(env), name)];
  test('infra.vpc.natProvider / natInstanceType / natGateways', () => {
    const inst = estimate(withInfra(prod, (i) => ({ vpc: { ...i.vpc, natProvider: 'instance', natInstanceType: 't4g.nano' } })));
    expect(line(inst, 'NAT')).toBeCloseTo(2 * (H * (us.ec2Hour['t4g.nano'].value + us.publicIpv4Hour.value) + NAT_INSTANCE_DISK_GIB * us.ebsGp3GbMonth.value));
    const [b, one] = diff(withInfra(prod, (i) => ({ vpc: { ...i.vpc, natGateways: 1 } })), 'NAT');
    expect(one!).toBeLessThan(b!);
  });
  test('infra.vpc.interfaceEndpoints', () => {
    expect(line(base, 'VPC interface endpoints')).toBeUndefined();
    const on = estimate(withInfra(prod, (i) => ({ vpc: { ...i.vpc, interfaceEndpoints: true } })));
    expect(line(on, 'VPC interface endpoints')).toBeCloseTo(5 * 2 * H * us.interfaceEndpointHourPerAz.value + a.natGbPerMonth * us.interfaceEndpointPerGb.value);
    expect(on.mwaa!.monthly - base.mwaa!.monthly).toBeCloseTo(line(on, 'VPC interface endpoints')!);
  });
  test('infra.eks.systemNodeInstanceType / systemNodeCount / systemNodeDiskGib', () => {
    for (const eks of [{ systemNodeInstanceType: 'm7g.large' }, { systemNodeCount: 3 }, { systemNodeDiskGib: 100 }]) {
      const [b, more] = diff(withInfra(prod, (i) => ({ eks: { ...i.eks, ...eks } })), 'System nodes');
      expect(more!).toBeGreaterThan(b!);
    }
  });
  test('infra.eks.containerInsights', () => {
    expect(line(base, 'Container Insights')).toBeGreaterThan(0);
    expect(line(estimate(withInfra(prod, (i) => ({ eks: { ...i.eks, containerInsights: false } }))), 'Container Insights')).toBeUndefined();
  });
  test('infra.database: readers, readerScalesWithWriter, instanceClass, minCapacityAcu + office hours', () => {
    const [b, hot] = diff(withInfra(prod, (i) => ({ database: { ...i.database, readerScalesWithWriter: true } })), 'Aurora Serverless v2');
    expect(hot!).toBeGreaterThan(b!);
    const [, none] = diff(withInfra(prod, (i) => ({ database: { ...i.database, readers: 0 } })), 'Aurora Serverless v2');
    expect(none!).toBeLessThan(b!);
    const prov = estimate(withInfra(prod, (i) => ({ database: { ...i.database, instanceClass: 'db.r7g.large' } })));
    expect(line(prov, 'Aurora provisioned')).toBeCloseTo(2 * H * us.auroraInstanceHour['db.r7g.large'].value);
    // A 0-ACU database pauses outside office hours; one with a floor does not.
    const office = withOfficeHours(true)(dev);
    const awake = awakeShare(office);
    const paused = estimate(office);
    const floor = estimate(withInfra(office, (i) => ({ database: { ...i.database, minCapacityAcu: 0.5, autoPauseMinutes: undefined } })));
    expect(line(paused, 'Aurora Serverless v2')! / line(floor, 'Aurora Serverless v2')!).toBeCloseTo(awake);
  });
  test('infra.cache.nodeType / replicas / engine', () => {
    expect(line(estimate(withInfra(prod, (i) => ({ cache: { ...i.cache, replicas: 0 } }))), 'ElastiCache broker')).toBeCloseTo(H * us.cacheNodeHour.valkey['cache.t4g.small'].value);
    expect(line(estimate(withInfra(prod, (i) => ({ cache: { ...i.cache, engine: 'redis' } }))), 'ElastiCache broker')).toBeCloseTo(2 * H * us.cacheNodeHour.redis['cache.t4g.small'].value);
  });
  test('infra.sharedFileSystem', () => {
    expect(line(base, 'EFS')).toBeUndefined();
    expect(line(estimate(withInfra(prod, () => ({ sharedFileSystem: true }))), 'EFS')).toBeCloseTo(a.efsGb * us.efsStandardGbMonth.value);
  });
  test('infra.longTaskOnDemandWorkers is its own on-demand pool; spot workers are priced below on-demand', () => {
    expect(line(base, 'Long-task workers (on-demand)')).toBeGreaterThan(0);
    expect(line(estimate(withInfra(prod, () => ({ longTaskOnDemandWorkers: 0 }))), 'Long-task workers (on-demand)')).toBeUndefined();
    const od = estimate({ ...prod, karpenter: { ...prod.karpenter, workerCapacityTypes: ['on-demand'] } });
    expect(line(od, 'Workers (on-demand pool)')!).toBeGreaterThan(line(base, 'Workers (spot pool)')!);
  });
  test('officeHours.enabled scales the awake share of core nodes, workers and the MWAA extra workers', () => {
    const always = estimate(withOfficeHours(false)(dev));
    const office = estimate(withOfficeHours(true)(dev));
    expect(line(office, 'Airflow core nodes')! / line(always, 'Airflow core nodes')!).toBeCloseTo(55 / 168);
    expect(office.mwaa!.lines[0].monthly).toBe(always.mwaa!.lines[0].monthly);
  });
  test('ingress.scheme internet-facing adds public IPv4 to the load balancer', () => {
    const pub = estimate({ ...prod, ingress: { ...prod.ingress, scheme: 'internet-facing' } });
    expect(line(pub, 'Load balancer')! - line(base, 'Load balancer')!).toBeCloseTo(2 * H * us.publicIpv4Hour.value);
  });
});

test('goals: dev <= 0.5x MWAA with office hours and <= 0.9x 24x7; prod held at its like-for-like ratio, reported unmet; no crossover to 0.6x', () => {
  const [devOffice, dev24] = reportFor(dev).goals;
  expect(devOffice.ratio!).toBeLessThanOrEqual(0.5);
  expect(dev24.ratio!).toBeLessThanOrEqual(0.9);
  // Since each worker slot gets at least an MWAA slot's memory and vCPU (0.2: three times the 1 vCPU per 16 slots it
  // had), prod is 0.96x: above its 0.75x goal, which the report and docs/cost.md say ("no"). Held here so it cannot
  // drift further unnoticed.
  const prodGoal = reportFor(prod).goals[0];
  expect(prodGoal.met).toBe(false);
  expect(prodGoal.ratio!).toBeLessThanOrEqual(0.97);
  for (const env of envs) expect(reportFor(env).idleWorkersMonthly).toBe(0);
  // Workers cost more per slot than MWAA's extra workers' share of fixed costs saves: no load up to 4x peak reaches 0.6x.
  expect(crossover(prod, 0.6)).toBeNull();
  expect(ratioAt(prod, 4 * maxWorkerSlots(prod))!).toBeGreaterThan(0.6);
  expect(reportFor(dev).crossover).not.toBeNull();
});

test('China is priced in CNY from its own table; missing prices are reported, not guessed', () => {
  const e = estimate(cn);
  expect(e.currency).toBe('CNY');
  expect(e.mwaa).toBeNull();
  expect(() => estimate(withInfra(prod, (i) => ({ eks: { ...i.eks, systemNodeInstanceType: 'x9g.huge' } })))).toThrow(/no EC2 price for "x9g.huge"/);
  expect(() => estimate({ ...prod, aws: { ...prod.aws, region: 'eu-west-1' } })).toThrow(/no prices for region eu-west-1/);
});

test('docs/cost.md is the current estimator output', () => {
  const committed = fs.readFileSync(path.join(__dirname, '../../docs/cost.md'), 'utf8');
  expect(committed).toBe(costDoc(envs));
});

describe('requests sized from the benchmark', () => {
  test('each environment reports the sized requests at its task rate next to the configured ones', () => {
    const p = reportFor(prod).sizing;
    expect(p).toMatchObject({ capacity: prod.capacity, priced: false });
    expect(p.rows.map((r) => r.component)).toEqual(['apiServer', 'scheduler', 'dagProcessor', 'triggerer', 'pgbouncer']);
    // prod configures none: what it runs is what is sized. dev configures its Airflow components.
    for (const r of p.rows) expect(r.configured).toEqual(r.sized);
    const d = reportFor(dev).sizing.rows.find((r) => r.component === 'apiServer')!;
    expect(d.configured).toEqual(dev.components.apiServer.resources);
    expect(d.sized).toEqual(sizedRequest('apiServer', dev.components.apiServer.replicas, dev.capacity));
  });

  test('a task rate prices the stack sized for it; the configured requests are still shown', () => {
    expect(estimate(atCapacity(prod, { tasksPerMinute: prod.capacity.tasksPerMinute })).total).toBeCloseTo(estimate(prod).total);
    const busy = reportFor(prod, { tasksPerMinute: 5000 });
    expect(busy.sizing.priced).toBe(true);
    expect(busy.sizing.rows.map((r) => r.configured)).toEqual(reportFor(prod).sizing.rows.map((r) => r.configured));
    expect(busy.estimate.total).toBeGreaterThan(reportFor(prod).estimate.total);
    expect(core(busy.estimate)).not.toBe(core(estimate(prod)));
    // dev's configured requests give way to the sized ones too.
    expect(core(reportFor(dev, { tasksPerMinute: dev.capacity.tasksPerMinute }).estimate)).not.toBe(core(estimate(dev)));
  });

  test('a DAG count prices the stack sized for it: the interval, processes and requests re-derived for that many files', () => {
    expect(estimate(atCapacity(prod, { dags: prod.capacity.dags })).total).toBeCloseTo(estimate(prod).total);
    const many = atCapacity(prod, { dags: 2000 });
    expect(many.capacity.dags).toBe(2000);
    expect(many.airflow.minFileProcessIntervalSeconds).toBe(neededIntervalSeconds(SCALE_MODEL, 2000, prod.capacity.targetUtilisation));
    expect(many.airflow.minFileProcessIntervalSeconds).toBeGreaterThan(prod.airflow.minFileProcessIntervalSeconds);
    expect(many.airflow.parsingProcesses).toBe(dagLoad(SCALE_MODEL, 2000, many.airflow.minFileProcessIntervalSeconds, prod.capacity.targetUtilisation).parsingProcesses);
    expect(cpuOf(many.components.dagProcessor.resources.cpu)).toBeGreaterThanOrEqual(cpuOf(prod.components.dagProcessor.resources.cpu));
    expect(reportFor(prod, { dags: 2000 }).estimate.total).toBeGreaterThanOrEqual(reportFor(prod).estimate.total);
    expect(parseCostArgs(['--dags', '1000', '--tasks-per-minute', '60'])).toEqual({ markdown: false, tasksPerMinute: 60, dags: 1000, rest: [] });
    expect(() => parseCostArgs(['--dags', '0'])).toThrow(/npm run cost: --dags: a whole number of DAG files from 1 to 10000, such as 250 \(got "0"\)/);
    expect(() => parseCostArgs(['--dags'])).toThrow(/--dags needs a value/);
  });

  test('--tasks-per-minute takes a whole rate the config would accept', () => {
    expect(parseCostArgs(['--markdown', '--tasks-per-minute', '1200', '--config', 'x.yaml'])).toEqual({ markdown: true, tasksPerMinute: 1200, rest: ['--config', 'x.yaml'] });
    expect(parseCostArgs(['--config', 'x.yaml'])).toEqual({ markdown: false, rest: ['--config', 'x.yaml'] });
    for (const bad of ['-5', 'fast', '2.5', '20000']) expect(() => parseCostArgs(['--tasks-per-minute', bad])).toThrow(new RegExp(`--tasks-per-minute: a whole number of tasks per minute from 0 to 10000.*\\(got "${bad.replace('.', '\\.')}"\\)`));
    for (const argv of [['--tasks-per-minute'], ['--tasks-per-minute', '--markdown']]) expect(() => parseCostArgs(argv)).toThrow(UsageError);
  });
});

test('npm run cost prints the table, ratios, crossover, goals and the sized requests', () => {
  const out = execFileSync('npx', ['tsx', 'infra/cost/cli.ts'], { cwd: path.join(__dirname, '../..'), encoding: 'utf8' });
  expect(out).toMatch(/RATIO us \/ MWAA: 0\.\d\dx/);
  expect(out).toMatch(/crossover to 0\.6x MWAA: \d+ busy slots/);
  expect(out).toMatch(/goal dev with office hours <= 0\.5x MWAA: 0\.\d{3}x MET/);
  expect(out).toMatch(/prod-cn \(cn-north-1\)[\s\S]*CNY/);
  expect(out).toContain(`requests sized for ${prod.capacity.tasksPerMinute} tasks/min`);
  const s = prod.components.scheduler;
  expect(out).toMatch(new RegExp(`prod \\(us-east-1\\)[^]*?scheduler +${s.replicas} x  sized ${s.resources.cpu} / ${s.resources.memory} +configured ${s.resources.cpu} / ${s.resources.memory}`));
});

test('npm run cost -- --tasks-per-minute N prints and prices the requests sized for N; a bad N is refused', () => {
  const run = (...args: string[]) => spawnSync('npx', ['tsx', 'infra/cost/cli.ts', ...args], { cwd: path.join(__dirname, '../..'), encoding: 'utf8' });
  const out = run('--tasks-per-minute', '5000');
  expect(out.status).toBe(0);
  const s = prod.components.scheduler;
  const at5000 = sizedRequest('scheduler', s.replicas, { ...prod.capacity, tasksPerMinute: 5000 });
  expect(at5000.cpu).not.toBe(s.resources.cpu);
  expect(out.stdout).toMatch(new RegExp(`prod \\(us-east-1\\)[^]*?requests sized for 5000 tasks/min.*priced: the sized requests[^]*?scheduler +${s.replicas} x  sized ${at5000.cpu} / ${at5000.memory} +configured ${s.resources.cpu} / ${s.resources.memory}`));
  expect(out.stdout).toContain(core(reportFor(prod, { tasksPerMinute: 5000 }).estimate));
  const bad = run('--tasks-per-minute', 'lots');
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/npm run cost: --tasks-per-minute: a whole number of tasks per minute from 0 to 10000, such as 300 \(got "lots"\)/);
  expect(bad.stdout).toBe('');
});

describe('each MWAA class beside prod sized like for like (infra/cost/mwaa-classes.ts)', () => {
  const rows = compareClasses();

  test('MWAA gives 0.2 vCPU a default slot from mw1.small up; the schema default follows it', () => {
    for (const c of MWAA_CLASSES.filter((x) => x.name !== 'mw1.micro')) expect([c.name, c.workerVcpu / c.slotsPerWorker]).toEqual([c.name, MWAA_CPU_PER_SLOT]);
    expect(MWAA_CLASSES.map((c) => c.dags)).toEqual([25, 50, 250, 1000, 2000, 4000]);
  });

  test('every class is compared with itself, at its DAG count, its slots, MWAA\'s default max workers', () => {
    expect(rows.map((r) => r.estimate.mwaa!.environmentClass)).toEqual(MWAA_CLASSES.map((c) => c.name));
    for (const [i, r] of rows.entries()) {
      const cls = MWAA_CLASSES[i];
      expect(r.env.capacity.dags).toBe(cls.dags);
      expect(r.env.workers.concurrency).toBe(cls.slotsPerWorker);
      expect(r.env.workers.maxReplicas).toBe(Math.min(cls.maxWorkers, MWAA_DEFAULT_MAX_WORKERS));
      // A slot here gets at least what a slot of the class's worker gets.
      const w = r.env.workers;
      expect(cpuOf(w.resources.cpu) / w.concurrency).toBeGreaterThanOrEqual(cls.workerVcpu / cls.slotsPerWorker - 1e-9);
      expect(memoryMiB(w.resources.memory) / w.concurrency).toBeGreaterThanOrEqual(mwaaMemoryPerSlotMiB(cls));
      // Sized by the same code as any config: a bigger class, a bigger dag-processor.
      if (i > 0) expect(cpuOf(r.env.components.dagProcessor.resources.cpu)).toBeGreaterThanOrEqual(cpuOf(rows[i - 1].env.components.dagProcessor.resources.cpu));
      expect(r.ratio).toBeCloseTo(r.estimate.total / r.estimate.mwaa!.monthly);
      expect(r.met).toBe(r.ratio! <= CLASS_GOAL);
    }
    expect(likeForLike(MWAA_CLASSES[3])).toEqual(rows[3].env);
  });

  test('npm run cost and docs/cost.md print the per-class table with the fixed lines of every class above the goal', () => {
    const out = execFileSync('npx', ['tsx', 'infra/cost/cli.ts'], { cwd: path.join(__dirname, '../..'), encoding: 'utf8' });
    const doc = fs.readFileSync(path.join(__dirname, '../../docs/cost.md'), 'utf8');
    for (const r of rows) {
      const row = new RegExp(`\\| ${r.environmentClass.replace('.', '\\.')} \\| ${r.dags} \\| ${r.slotsPerWorker} x ${r.maxWorkers} \\|[^\\n]*\\| ${r.ratio!.toFixed(2)}x ${r.met ? 'met' : 'NOT met'} \\|`);
      expect(out).toMatch(row);
      expect(doc).toMatch(row);
      if (!r.met) expect(out).toContain(`${r.environmentClass}: ${r.ratio!.toFixed(2)}x; fixed lines`);
    }
  });
});
