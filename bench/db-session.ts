import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { psqlArgs, psqlEnv, type PgLogin } from '../local/clients';

/**
 * One persistent psql session for every read the benchmark makes: no process forked per poll and one
 * PostgreSQL backend for the whole run (excluded from the connection counts by its pid).
 */
export class DbSession {
  private readonly psql: ChildProcessWithoutNullStreams;
  private buffer = '';
  private pending: { marker: string; resolve: (rows: string[][]) => void; reject: (e: Error) => void }[] = [];
  private seq = 0;
  private chain: Promise<unknown> = Promise.resolve();

  /** `netns`: the network namespace the database is reached from (the local cluster's VPC), if not this one. */
  constructor(opts: PgLogin & { database: string; netns?: string }) {
    const psql = ['psql', ...psqlArgs(opts, opts.database), '-F', '\t', '-v', 'ON_ERROR_STOP=0'];
    const [command, ...args] = opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...psql] : psql;
    this.psql = spawn(command, args, { env: psqlEnv(opts, 10) });
    this.psql.stdout.setEncoding('utf8');
    this.psql.stdout.on('data', (d: string) => this.onData(d));
    this.psql.stderr.setEncoding('utf8');
    this.psql.stderr.on('data', (d: string) => this.pending[0]?.reject(new Error(`psql: ${d.trim()}`)));
    this.psql.once('exit', (code) => this.pending.splice(0).forEach((p) => p.reject(new Error(`psql session exited with code ${code}`))));
  }

  private onData(d: string): void {
    this.buffer += d;
    for (;;) {
      const p = this.pending[0];
      if (!p) return;
      const at = this.buffer.indexOf(`${p.marker}\n`);
      if (at < 0) return;
      const body = this.buffer.slice(0, at);
      this.buffer = this.buffer.slice(at + p.marker.length + 1);
      this.pending.shift();
      p.resolve(body.split('\n').filter((l) => l.length).map((l) => l.split('\t')));
    }
  }

  /** Rows of tab-separated fields; queries run one at a time. */
  query(sql: string): Promise<string[][]> {
    const next = this.chain.then(
      () =>
        new Promise<string[][]>((resolve, reject) => {
          const marker = `__bench_end_${++this.seq}__`;
          this.pending.push({ marker, resolve, reject });
          this.psql.stdin.write(`${sql.trim().replace(/;?$/, ';')}\n\\echo ${marker}\n`);
        }),
    );
    this.chain = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    this.psql.stdin.end('\\q\n');
    await new Promise((r) => (this.psql.exitCode !== null ? r(null) : this.psql.once('exit', r)));
  }
}
