import * as dgram from 'node:dgram';

/**
 * A UDP listener on the port the local stack points Airflow's StatsD client at: keeps the values of the timers and
 * gauges it is asked for (timers in milliseconds), e.g. `airflow.scheduler.scheduler_loop_duration`. Nothing else listens there locally,
 * and StatsD over UDP is fire-and-forget, so packets before `listen` are simply not seen.
 */
export class StatsdSink {
  private readonly socket = dgram.createSocket('udp4');
  private readonly values = new Map<string, number[]>();

  constructor(private readonly names: readonly string[]) {
    this.socket.on('message', (msg) => {
      // One metric a line: name:value|type[|@rate]
      for (const line of msg.toString('utf8').split('\n')) {
        const m = /^([^:]+):([-\d.]+)\|(ms|g)(\||$)/.exec(line);
        if (m && this.names.includes(m[1])) {
          const xs = this.values.get(m[1]) ?? [];
          xs.push(Number(m[2]));
          this.values.set(m[1], xs);
        }
      }
    });
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind(port, host, () => resolve());
    });
  }

  /** The values of `name` seen since `listen` or the last `reset`. */
  take(name: string): number[] {
    return [...(this.values.get(name) ?? [])];
  }

  reset(): void {
    this.values.clear();
  }

  close(): void {
    this.socket.close();
  }
}
