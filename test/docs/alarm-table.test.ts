import * as path from 'node:path';
import { alarmRows, alarmTableCurrent } from '../../scripts/alarm-table';
import { committedSynth } from '../infra/committed-synth';

const ROOT = path.resolve(__dirname, '..', '..');

describe("docs/runbook.md's alarm table", () => {
  test('is what cdk.out/ gives (npm run docs regenerates it)', () => {
    committedSynth(); // cdk.out/ current with the sources, or a clear error
    expect(alarmTableCurrent(ROOT)).toBe(true);
  });

  test('every alarm of every environment says when it fires and what to do', () => {
    for (const [name, t] of Object.entries(committedSynth().templates)) {
      for (const r of alarmRows(t.toJSON())) expect({ name, alarm: r.name, fires: r.fires.length > 10, action: r.action.length > 10, reads: r.reads !== '?' }).toEqual({ name, alarm: r.name, fires: true, action: true, reads: true });
    }
  });

  test('an alarm whose description lacks the action is refused by name', () => {
    expect(() => alarmRows({ Resources: { ObservabilityX12345678: { Type: 'AWS::CloudWatch::Alarm', Properties: { AlarmDescription: 'fires', MetricName: 'm', Namespace: 'n' } } } })).toThrow(/alarm ObservabilityX12345678: its description has no "What to do:" part/);
  });
});
