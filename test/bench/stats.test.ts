import { compare, formatSpread, median, parsePidStatCpuTicks, parseProcStat, percentile, spread, utilisation } from '../../bench/stats';

describe('benchmark statistics', () => {
  test('nearest-rank percentiles of a small sample', () => {
    const xs = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(xs, 50)).toBe(5);
    expect(percentile(xs, 95)).toBe(10);
    expect(percentile(xs, 10)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile(xs, 101)).toThrow(/0\.\.100/);
  });

  test('median of odd and even counts, ignoring NaN', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([NaN, 7])).toBe(7);
  });

  test('spread and its formatting', () => {
    const s = spread([12, 10, 15]);
    expect(s).toEqual({ median: 12, min: 10, max: 15, n: 3 });
    expect(formatSpread(s)).toBe('12.0 (10.0-15.0)');
    expect(formatSpread(spread([2]), 2)).toBe('2.00');
    expect(formatSpread(spread([]))).toBe('-');
  });

  test('comparison says when ranges overlap', () => {
    expect(compare(spread([30, 31, 32]), spread([20, 21, 22]))).toEqual({ ratio: 31 / 21, overlapping: false });
    expect(compare(spread([20, 25]), spread([22, 30])).overlapping).toBe(true);
  });

  test('machine utilisation from two /proc/stat readings', () => {
    const a = parseProcStat('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3\n');
    const b = parseProcStat('cpu  250 0 100 900 50 0 0 50 0 0\n');
    expect(a).toEqual({ busy: 150, idle: 850, steal: 0 });
    expect(utilisation(a, b)).toEqual({ busy: 200 / 350, idle: 100 / 350, steal: 50 / 350 });
  });

  test('process CPU ticks include reaped children, even with spaces in the command name', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ...
    const stat = '42 (airflow worker) S 1 42 42 0 -1 4194560 10 0 0 0 120 30 7 3 20 0 1 0';
    expect(parsePidStatCpuTicks(stat)).toBe(160);
  });
});
