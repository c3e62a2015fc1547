import { sizeFor } from '../../bench/sizing';

describe('sizing from CPU-seconds per task', () => {
  const components = {
    scheduler: { cpuSecondsPerTask: 0.06, idleCores: 0.05, memoryMiB: 400 },
    workers: { cpuSecondsPerTask: 0.9, idleCores: 0.02, memoryMiB: 1000, replicaVcpu: 4 },
  };

  test('busy cores follow the rate, at the target utilisation, in 50m steps; workers add replicas', () => {
    const s = sizeFor({ components, tasksPerMinute: 600, targetUtilisation: 0.5 });
    // scheduler: (0.05 + 0.06 * 10) / 0.5 = 1.3; workers: (0.02 + 0.9 * 10) / 0.5 = 18.04 -> 18.05 -> 5 replicas of 4 vCPU
    expect(s.components.scheduler).toEqual({ vcpu: expect.closeTo(1.3, 6), replicas: 1, memoryMiB: 448 });
    expect(s.components.workers).toEqual({ vcpu: expect.closeTo(18.05, 6), replicas: 5, memoryMiB: 5 * 1024 });
    expect(s.total).toEqual({ vcpu: 19.35, memoryMiB: 448 + 5120 });
  });

  test('a zero rate needs only the idle floor and one replica', () => {
    const s = sizeFor({ components, tasksPerMinute: 0, targetUtilisation: 1 });
    expect(s.components.scheduler.vcpu).toBeCloseTo(0.05, 6);
    expect(s.components.workers).toMatchObject({ replicas: 1, memoryMiB: 1024 });
  });

  test('bad input names the field', () => {
    expect(() => sizeFor({ components, tasksPerMinute: 60, targetUtilisation: 0 })).toThrow(/targetUtilisation/);
    expect(() => sizeFor({ components, tasksPerMinute: -1, targetUtilisation: 0.7 })).toThrow(/tasksPerMinute/);
    expect(() => sizeFor({ components: { w: { cpuSecondsPerTask: 1, idleCores: 0, memoryMiB: 1, replicaVcpu: 0 } }, tasksPerMinute: 1, targetUtilisation: 0.7 })).toThrow(/components\.w\.replicaVcpu/);
  });
});
