import { connectResult } from './pod-probe';

/** Cluster tests 6 and the node checks: a denial is a refusal or no answer, never a probe that failed. */
describe('connection probe outcome', () => {
  test('open, refused and no answer are outcomes', () => {
    expect(['open', 'ECONNREFUSED', 'timeout'].map((o) => connectResult(o, 'a -> b'))).toEqual(['open', 'refused', 'timeout']);
  });

  test('any other error (no route, no output) fails the probe instead of reading as "cannot connect"', () => {
    expect(() => connectResult('EHOSTUNREACH', 'airflow/outsider -> 10.0.0.1:6432')).toThrow('connection probe airflow/outsider -> 10.0.0.1:6432: neither connected, refused nor timed out (EHOSTUNREACH)');
    expect(() => connectResult('', 'x')).toThrow(/no output/);
  });
});
