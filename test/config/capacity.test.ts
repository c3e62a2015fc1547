import { MEASURED_AS, MEMORY_HEADROOM, REQUEST_FLOORS, SIZING_BASELINE, loadEnvironments, type EnvironmentConfig, type EnvironmentInput, type SizedComponent } from '../../manifests-src/config';
import { configProblems } from '../support/config-problems';
import { environments as committed } from '../../manifests-src/config/environments';
import { memoryMiB } from '../../manifests-src/config/worker-memory';
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
    const idle = atRate(0);
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
