import { sizeFor } from '../../bench/sizing';

describe('sizing from CPU-seconds per task', () => {
  const components = {
    scheduler: { cpuSecondsPerTask: 0.06, idleCores: 0.05, memoryMiB: 400 },
    workers: { cpuSecondsPerTask: 0.9, idleCores: 0.02, memoryMiB: 1000 },
  };

  test('busy cores follow the rate, at the target utilisation, in 50m steps', () => {
    const s = sizeFor({ components, tasksPerMinute: 600, targetUtilisation: 0.5, measuredTasksPerMinute: 300, scalingMemory: ['workers'] });
    // scheduler: (0.05 + 0.06 * 10) / 0.5 = 1.3; workers: (0.02 + 0.9 * 10) / 0.5 = 18.04 -> 18.05
    expect(s.components.scheduler.vcpu).toBeCloseTo(1.3, 6);
    expect(s.components.workers.vcpu).toBeCloseTo(18.05, 6);
    // Worker memory doubles with the rate; the scheduler's does not.
    expect(s.components.workers.memoryMiB).toBe(2048);
    expect(s.components.scheduler.memoryMiB).toBe(448);
    expect(s.total).toEqual({ vcpu: 19.35, memoryMiB: 2496 });
  });

  test('a zero rate needs only the idle floor', () => {
    const s = sizeFor({ components, tasksPerMinute: 0, targetUtilisation: 1, measuredTasksPerMinute: 300 });
    expect(s.components.scheduler.vcpu).toBeCloseTo(0.05, 6);
    expect(s.components.workers.memoryMiB).toBe(1024);
  });

  test('bad input names the field', () => {
    expect(() => sizeFor({ components, tasksPerMinute: 60, targetUtilisation: 0, measuredTasksPerMinute: 1 })).toThrow(/targetUtilisation/);
    expect(() => sizeFor({ components, tasksPerMinute: -1, targetUtilisation: 0.7, measuredTasksPerMinute: 1 })).toThrow(/tasksPerMinute/);
  });
});
