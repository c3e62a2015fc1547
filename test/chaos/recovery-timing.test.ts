import { describeRecovery, firstStartAfter, recoverySeconds, watchOutage } from './recovery-timing';

/** A probe answering from a script of results, one per call, on a clock that advances one second per call. */
function scripted(results: boolean[]) {
  let t = 100;
  let i = 0;
  return {
    clock: () => t,
    probe: async () => {
      const r = results[Math.min(i++, results.length - 1)];
      t += 1;
      return r;
    },
  };
}

describe('recovery timing of the fault tests', () => {
  test('the outage runs from the first refused probe to the first answer after it', async () => {
    const s = scripted([true, true, false, false, false, true, true]);
    const o = await watchOutage(s.probe, 1, s.clock).outage(5_000);
    expect(o).toEqual({ down: 102, back: 106 });
  });

  test('a fault that never reached a client is an error, not a 0 s recovery', async () => {
    const s = scripted([true]);
    await expect(watchOutage(s.probe, 1, s.clock).outage(200)).rejects.toThrow(/never refused/);
  });

  test('an outage shorter than the probe cadence counts from the server\'s exit to the first answer to a probe sent after it', async () => {
    const s = scripted([true, true, true, true, true, true]);
    const w = watchOutage(s.probe, 1, s.clock);
    w.serverGone(101.5);
    expect(await w.outage(5_000)).toEqual({ down: 101.5, back: 103 });
  });

  test('a refusal seen before the reported exit starts the outage', async () => {
    const s = scripted([true, false, true, true]);
    const w = watchOutage(s.probe, 1, s.clock);
    w.serverGone(150);
    expect(await w.outage(5_000)).toEqual({ down: 101, back: 103 });
  });

  test('a server that does not answer again is an error', async () => {
    const s = scripted([false]);
    await expect(watchOutage(s.probe, 1, s.clock).outage(200)).rejects.toThrow(/did not answer again/);
  });

  test('tasks that started before the server was back, even after it went down, are not recovery', () => {
    const outage = { down: 10, back: 14 };
    expect(firstStartAfter([9, 10.5, 13.9, 14], outage)).toBeUndefined();
    expect(firstStartAfter([9, 10.5, 21, 14.2], outage)).toBe(14.2);
  });

  test('a recovery is never shorter than the outage, and a start before the server was back is refused', () => {
    const outage = { down: 10, back: 14 };
    expect(recoverySeconds(outage, 14.2)).toBeCloseTo(4.2);
    expect(() => recoverySeconds(outage, 12)).toThrow(/not after the server was back/);
    expect(describeRecovery(outage, 20)).toBe('10.0 s (outage 4.0 s, then 6.0 s to the first task started after it)');
  });
});
