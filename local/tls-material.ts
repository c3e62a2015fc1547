import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LOOPBACK } from './ports';

/**
 * A local CA (unless one was placed in the folder already: the cluster brings its own) and a server
 * certificate for the listen address, so Redis keeps rediss:// with verification and PgBouncer verify-full.
 */
export function makeTlsMaterial(caCert: string, host: string): void {
  const dir = path.dirname(caCert);
  if (fs.existsSync(path.join(dir, 'server.pem'))) return;
  fs.mkdirSync(dir, { recursive: true });
  const o = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  if (!fs.existsSync(caCert)) o(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj', '/CN=airflow-eks local CA', '-keyout', 'ca-key.pem', '-out', path.basename(caCert)]);
  o(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${host}`, '-keyout', 'server-key.pem', '-out', 'server.csr']);
  fs.writeFileSync(path.join(dir, 'san.ext'), `subjectAltName=IP:${host},IP:${LOOPBACK},DNS:localhost\n`);
  o(['x509', '-req', '-in', 'server.csr', '-CA', path.basename(caCert), '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '3650', '-extfile', 'san.ext', '-out', 'server.pem']);
}

/** The server certificate and key every server presents. */
export function serverCertificate(caCert: string): { cert: string; key: string } {
  const dir = path.dirname(caCert);
  return { cert: path.join(dir, 'server.pem'), key: path.join(dir, 'server-key.pem') };
}
