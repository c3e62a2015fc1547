import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { MEASURED_AS, MEMORY_HEADROOM, REQUEST_FLOORS, SCALE_MODEL, SIZING_BASELINE, loadEnvironments, type EnvironmentConfig, type EnvironmentInput, type SizedComponent } from '../../manifests-src/config';
import { AIRFLOW_DEFAULT_PARSING_PROCESSES, dagLoad, neededIntervalSeconds } from '../../bench/scale-model';
import { configProblems } from '../support/config-problems';
import { environments as committed } from '../../manifests-src/config/environments';
import { derivedWorkerResources, memoryMiB, MWAA_CPU_PER_SLOT, workerMemoryFloorMiB } from '../../manifests-src/config/worker-memory';
import { cpuOf } from '../../infra/cost/estimate';

const prodInput = committed.find((e) => e.name === 'prod')!;
const devInput = committed.find((e) => e.name === 'dev')!;
const sized = Object.keys(MEASURED_AS) as SizedComponent[];

const load = (input: EnvironmentInput) => loadEnvironments([input])[0];
const resourcesOf = (env: EnvironmentConfig, c: SizedComponent) => (c === 'pgbouncer' ? env.pgbouncer : env.components[c]).resources;
const cores = (env: EnvironmentConfig, c: SizedComponent) => cpuOf(resourcesOf(env, c).cpu);
const atRate = (tasksPerMinute: number, more: Partial<EnvironmentInput> = {}) => load({ ...prodInput, ...more, capacity: { tasksPerMinute, ...more.capacity } });

const problemsOf = (input: unknown): string => configProblems([input]).join('\n');

describe('default requests sized from capacity (manifests-src/config/capacity.ts)', () => {
  test('a higher task rate gives larger CPU requests, never smaller ones', () => {
    const rates = [0, 300, 1000, 3000, 10000].map((r) => atRate(r));
    for (const c of sized) {
      const cpu = rates.map((env) => cores(env, c));
      expect([c, cpu]).toEqual([c, [...cpu].sort((a, b) => a - b)]);
    }
    for (const c of ['scheduler', 'apiServer', 'pgbouncer'] as const) expect(cores(rates[4], c)).toBeGreaterThan(cores(rates[0], c));
  });

  test('per pod: busy cores of its share of the rate plus its idle floor, at the target utilisation, in 50m steps', () => {
    const env = atRate(6000, { capacity: { targetUtilisation: 0.5 } });
    const m = SIZING_BASELINE.components['api-server'];
    const pods = env.components.apiServer.replicas;
    const need = (m.idleCores + (m.cpuSecondsPerTask * 6000) / 60 / pods) / 0.5;
    expect(need).toBeGreaterThan(cpuOf(REQUEST_FLOORS.apiServer.cpu));
    expect(cores(env, 'apiServer')).toBeGreaterThanOrEqual(need);
    expect(cores(env, 'apiServer') - need).toBeLessThan(0.05);
    expect((cores(env, 'apiServer') * 1000) % 50).toBe(0);
    // More replicas share the rate: smaller pods.
    const wider = atRate(6000, { capacity: { targetUtilisation: 0.5 }, components: { apiServer: { replicas: pods * 2 } } });
    expect(cores(wider, 'apiServer')).toBeLessThan(cores(env, 'apiServer'));
    // A lower target utilisation leaves more headroom.
    expect(cores(env, 'apiServer')).toBeGreaterThan(cores(atRate(6000), 'apiServer'));
  });

  test('never below the floors; memory is the measured PSS with its headroom, or the floor', () => {
    // No tasks and a single DAG file: nothing to size above the floors.
    const idle = atRate(0, { capacity: { dags: 1 } });
    for (const c of sized) {
      expect([c, resourcesOf(idle, c).cpu]).toEqual([c, REQUEST_FLOORS[c].cpu]);
      for (const env of [idle, atRate(10000)]) {
        const mib = memoryMiB(resourcesOf(env, c).memory);
        expect(mib).toBeGreaterThanOrEqual(memoryMiB(REQUEST_FLOORS[c].memory));
        expect(mib).toBeGreaterThanOrEqual(SIZING_BASELINE.components[MEASURED_AS[c]].memoryMiB * MEMORY_HEADROOM);
      }
    }
  });

  test('configured resources win over the sized ones', () => {
    const scheduler = { cpu: '3', memory: '5Gi', cpuLimit: '4' };
    const env = atRate(5000, { components: { scheduler: { resources: scheduler } }, pgbouncer: { resources: { cpu: '50m', memory: '128Mi' } } });
    expect(env.components.scheduler.resources).toEqual(scheduler);
    expect(env.pgbouncer.resources).toEqual({ cpu: '50m', memory: '128Mi' });
    expect(cores(env, 'apiServer')).toBeGreaterThan(cores(atRate(300), 'apiServer'));
    // dev sets its Airflow components' resources: its capacity changes none of them.
    const dev = load(devInput);
    const busyDev = load({ ...devInput, capacity: { tasksPerMinute: 5000 } });
    expect(busyDev.components).toEqual(dev.components);
    expect(cores(busyDev, 'pgbouncer')).toBeGreaterThan(cores(dev, 'pgbouncer'));
  });

  test.each([
    ['a negative rate', { tasksPerMinute: -1 }, /environments\[0\]\(prod\)\.capacity\.tasksPerMinute: a whole number of tasks per minute from 0 to 10000, such as 300 \(got -1\)/],
    ['a rate as text', { tasksPerMinute: 'fast' }, /capacity\.tasksPerMinute: a whole number of tasks per minute .*\(got "fast"\)/],
    ['a fractional rate', { tasksPerMinute: 2.5 }, /capacity\.tasksPerMinute: a whole number .*\(got 2\.5\)/],
    ['a rate past the measured range', { tasksPerMinute: 20000 }, /capacity\.tasksPerMinute: .*beyond, set components\.\*\.resources .*\(got 20000\)/],
    ['no headroom left', { targetUtilisation: 1.5 }, /capacity\.targetUtilisation: a share of a core from 0\.2 to 1, such as 0\.7 \(got 1\.5\)/],
    ['a utilisation near zero', { targetUtilisation: 0 }, /capacity\.targetUtilisation: a share of a core from 0\.2 to 1.*\(got 0\)/],
    ['a misspelt field', { taskPerMinute: 300 }, /capacity\.taskPerMinute: unknown field; remove it or fix its spelling/],
  ])('%s is refused naming the field and what it takes', (_label, capacity, message) => {
    expect(problemsOf({ ...prodInput, capacity })).toMatch(message);
  });
});

describe('capacity.dags: the DAG files the dag-processor, scheduler and API server are sized for (bench/scale-model.json)', () => {
  const atDags = (dags: number, more: Partial<EnvironmentInput> = {}) => load({ ...prodInput, ...more, capacity: { dags, ...more.capacity } });

  test('more files: a longer parse interval (never below 30 s); the dag-processor asks for the cores parsing takes at it', () => {
    const envs = [10, 50, 250, 1000, 2000].map((n) => atDags(n));
    const intervals = envs.map((e) => e.airflow.minFileProcessIntervalSeconds);
    expect(intervals).toEqual([...intervals].sort((a, b) => a - b));
    expect(intervals[0]).toBe(30);
    expect(intervals[4]).toBeGreaterThan(intervals[1]);
    for (const e of envs) {
      expect(e.airflow.minFileProcessIntervalSeconds).toBe(neededIntervalSeconds(SCALE_MODEL, e.capacity.dags, e.capacity.targetUtilisation));
      const load = dagLoad(SCALE_MODEL, e.capacity.dags, e.airflow.minFileProcessIntervalSeconds, e.capacity.targetUtilisation);
      expect(e.airflow.parsingProcesses).toBe(load.parsingProcesses);
      // The CPU asked for covers the parsing at the target utilisation.
      expect(cores(e, 'dagProcessor')).toBeGreaterThanOrEqual(load.parseCores / e.capacity.targetUtilisation - 1e-9);
    }
    expect(envs[0].airflow.parsingProcesses).toBe(AIRFLOW_DEFAULT_PARSING_PROCESSES);
  });

  test('a configured shorter interval costs more parsing CPU; configured values win', () => {
    const derived = atDags(1000);
    const fast = atDags(1000, { airflow: { minFileProcessIntervalSeconds: 30 } });
    expect(fast.airflow.minFileProcessIntervalSeconds).toBe(30);
    expect(cores(fast, 'dagProcessor')).toBeGreaterThan(cores(derived, 'dagProcessor'));
    expect(fast.airflow.parsingProcesses).toBeGreaterThanOrEqual(derived.airflow.parsingProcesses);
    expect(atDags(1000, { airflow: { parsingProcesses: 3 } }).airflow.parsingProcesses).toBe(3);
  });

  test('what ships: every environment\'s Airflow config carries its interval and parsing processes', () => {
    for (const env of loadEnvironments()) {
      const cm = parseYaml(fs.readFileSync(path.join(__dirname, '../../dist', env.name, 'airflow/airflow-config.yaml'), 'utf8'));
      expect([env.name, cm.data.AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES, cm.data.AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL]).toEqual([env.name, String(env.airflow.parsingProcesses), String(env.airflow.minFileProcessIntervalSeconds)]);
    }
  });

  test('a bad count is refused with the field and what it takes', () => {
    for (const bad of [0, 2.5, 20000]) expect(problemsOf({ ...prodInput, capacity: { dags: bad } })).toMatch(/capacity\.dags: a whole number of DAG files from 1 to 10000, such as 250/);
  });
});

describe('workers.taskCpu: a slot gets at least its vCPU (MWAA: 0.2)', () => {
  test('unset worker requests are derived: concurrency x taskCpu, the memory floor rounded up to 128Mi', () => {
    const prod = load(prodInput);
    expect(prod.workers.taskCpu).toBe(MWAA_CPU_PER_SLOT);
    expect(prod.workers.resources).toEqual(derivedWorkerResources(prod.workers));
    expect(cpuOf(prod.workers.resources.cpu)).toBeCloseTo(prod.workers.concurrency * MWAA_CPU_PER_SLOT);
    expect(memoryMiB(prod.workers.resources.memory)).toBeGreaterThanOrEqual(workerMemoryFloorMiB(prod.workers.concurrency, prod.workers.taskMemoryMiB));
    expect(memoryMiB(prod.workers.resources.memory) % 128).toBe(0);
    const eight = load({ ...prodInput, workers: { ...prodInput.workers, concurrency: 8 } });
    expect(cpuOf(eight.workers.resources.cpu)).toBeCloseTo(1.6);
  });

  test('a worker CPU request below concurrency x taskCpu is refused naming the field and the fixes', () => {
    const p = problemsOf({ ...prodInput, workers: { ...prodInput.workers, concurrency: 16, resources: { cpu: '1', memory: '6656Mi' } } });
    expect(p).toMatch(/workers\.resources\.cpu: 1 is too little for workers\.concurrency=16 at workers\.taskCpu=0\.2: needs at least 3200m; raise it, lower workers\.concurrency, or set workers\.taskCpu/);
    expect(load({ ...prodInput, workers: { ...prodInput.workers, concurrency: 16, taskCpu: 0.0625, resources: { cpu: '1', memory: '6656Mi' } } }).workers.resources.cpu).toBe('1');
    // dev says what its slots get instead of inheriting MWAA's.
    expect(load(devInput).workers.taskCpu * load(devInput).workers.concurrency).toBeLessThanOrEqual(cpuOf(load(devInput).workers.resources.cpu));
  });
});
