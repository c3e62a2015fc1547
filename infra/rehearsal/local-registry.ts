import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

/** A running OCI registry on loopback with TLS (what ECR is to the Helm handler), and the CA clients must trust. */
export interface LocalRegistry {
  /** `127.0.0.1:<port>`: stands in for `<account>.dkr.ecr.<region>.amazonaws.com[.cn]`. */
  readonly host: string;
  /** PEM file to trust (Go reads SSL_CERT_FILE): Helm then talks HTTPS to the registry like to ECR. */
  readonly caFile: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Polls until the registry answers its API root (no sleeping to pass: a deadline, then an error). */
async function waitReady(port: number, child: ChildProcess, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`docker-registry did not listen on ${port} within ${deadlineMs} ms`);
}

/** Starts Debian's docker-registry on a free loopback port with a fresh self-signed certificate, state in `dir`. */
export async function startLocalRegistry(dir: string): Promise<LocalRegistry> {
  fs.mkdirSync(path.join(dir, 'storage'), { recursive: true });
  const cert = path.join(dir, 'registry.crt');
  const key = path.join(dir, 'registry.key');
  const ssl = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { encoding: 'utf8' });
  if (ssl.status !== 0) throw new Error(`openssl: ${ssl.stderr}`);
  const port = await freePort();
  const config = path.join(dir, 'config.yml');
  fs.writeFileSync(config, ['version: 0.1', 'log: { level: warn }', 'storage:', `  filesystem: { rootdirectory: ${JSON.stringify(path.join(dir, 'storage'))} }`, 'http:', `  addr: 127.0.0.1:${port}`, '  tls:', `    certificate: ${JSON.stringify(cert)}`, `    key: ${JSON.stringify(key)}`, ''].join('\n'));
  const log = fs.openSync(path.join(dir, 'registry.log'), 'a');
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', log, log] });
  await waitReady(port, child, 30_000);
  return {
    host: `127.0.0.1:${port}`,
    caFile: cert,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
