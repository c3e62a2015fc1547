import * as dgram from 'node:dgram';
import { StatsdSink } from '../../bench/statsd-sink';

const send = (port: number, text: string) =>
  new Promise<void>((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.send(text, port, '127.0.0.1', (e) => (s.close(), e ? reject(e) : resolve()));
  });

async function received(sink: StatsdSink, timer: string, count: number): Promise<number[]> {
  for (let i = 0; i < 100 && sink.take(timer).length < count; i++) await new Promise((r) => setTimeout(r, 20));
  return sink.take(timer);
}

test('keeps the values of the timers and gauges asked for, from single and multi-line packets; ignores others and counters', async () => {
  const sink = new StatsdSink(['airflow.scheduler.scheduler_loop_duration', 'airflow.dag_processing.total_parse_time']);
  const probe = dgram.createSocket('udp4');
  await new Promise<void>((r) => probe.bind(0, '127.0.0.1', () => r()));
  const port = probe.address().port;
  probe.close();
  await sink.listen(port, '127.0.0.1');
  try {
    await send(port, 'airflow.scheduler.scheduler_loop_duration:12.5|ms');
    await send(port, 'airflow.dag_processing.total_parse_time:31.5|g\nairflow.scheduler.scheduler_loop_duration:40|ms|@0.5\nairflow.scheduler.scheduler_loop_duration:7|c\nairflow.other:1|ms');
    expect(await received(sink, 'airflow.scheduler.scheduler_loop_duration', 2)).toEqual([12.5, 40]);
    expect(sink.take('airflow.dag_processing.total_parse_time')).toEqual([31.5]);
    expect(sink.take('airflow.other')).toEqual([]);
    sink.reset();
    expect(sink.take('airflow.scheduler.scheduler_loop_duration')).toEqual([]);
  } finally {
    sink.close();
  }
});
