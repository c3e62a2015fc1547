import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sh } from './daemon';
import { CACHE_DIR, KUBECONFIG, NET, NODES, NODE_PORTS, statePath } from './layout';

/**
 * The cluster's credentials: one local CA (it signs the API server's and the managed services' certificates,
 * so pods trust a single root), the service-account signing key, and bearer tokens for the admin and the node.
 * The CA is made once per machine, in the cache: the Airflow image built here trusts it as the emulated AWS's
 * root, so a fresh clone reuses both. Everything else is made once per state folder.
 */

export const PKI_DIR = statePath('pki');
export const pki = (f: string) => path.join(PKI_DIR, f);
export const CA_CERT = pki('ca.pem');
const LOCAL_CA_DIR = path.join(CACHE_DIR, 'local-ca');
export const CA_KEY = path.join(LOCAL_CA_DIR, 'ca-key.pem');
const LOCAL_CA_CERT = path.join(LOCAL_CA_DIR, 'ca.pem');

const openssl = (...args: string[]) => sh('openssl', args);

/** Common name the aggregated API servers accept request headers from. */
export const FRONT_PROXY_CLIENT = 'front-proxy-client';

/** The machine's local CA certificate (made on first use). */
export function localCaCert(): string {
  if (!fs.existsSync(LOCAL_CA_CERT)) {
    fs.mkdirSync(LOCAL_CA_DIR, { recursive: true, mode: 0o700 });
    const tmp = path.join(LOCAL_CA_DIR, `.new-${process.pid}`);
    fs.mkdirSync(tmp, { recursive: true });
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj', '/CN=airflow-eks local CA', '-keyout', path.join(tmp, 'ca-key.pem'), '-out', path.join(tmp, 'ca.pem'));
    // Key first: whoever sees the certificate can rely on its key being there.
    fs.renameSync(path.join(tmp, 'ca-key.pem'), CA_KEY);
    fs.renameSync(path.join(tmp, 'ca.pem'), LOCAL_CA_CERT);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return LOCAL_CA_CERT;
}

/** The state folder's copy of the CA; certificates it signed under another CA are made again. */
function ensureCa(): void {
  const ca = fs.readFileSync(localCaCert());
  if (fs.existsSync(CA_CERT) && fs.readFileSync(CA_CERT).equals(ca)) return;
  fs.rmSync(PKI_DIR, { recursive: true, force: true });
  // Only pki/ is private: PostgreSQL (its own user) must still enter the state folder.
  fs.mkdirSync(PKI_DIR, { recursive: true });
  fs.chmodSync(PKI_DIR, 0o700);
  fs.writeFileSync(CA_CERT, ca);
}

/** A server certificate signed by the local CA for these names and addresses (re-made when they change). */
export function ensureServerCert(name: string, cn: string, dns: readonly string[], ips: readonly string[]): { cert: string; key: string } {
  ensureCa();
  const cert = pki(`${name}.pem`);
  const key = pki(`${name}-key.pem`);
  const san = [...dns.map((d) => `DNS:${d}`), ...ips.map((i) => `IP:${i}`)].join(',');
  const sanFile = pki(`${name}.san`);
  if (fs.existsSync(cert) && fs.existsSync(sanFile) && fs.readFileSync(sanFile, 'utf8') === san) return { cert, key };
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', key, '-out', pki(`${name}.csr`));
  fs.writeFileSync(pki(`${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
  openssl('x509', '-req', '-in', pki(`${name}.csr`), '-CA', CA_CERT, '-CAkey', CA_KEY, '-CAcreateserial', '-days', '3650', '-extfile', pki(`${name}.ext`), '-out', cert);
  fs.writeFileSync(sanFile, san);
  return { cert, key };
}

/** A client certificate (CN = user, O = group) signed by the local CA. */
export function ensureClientCert(name: string, user: string, group: string): { cert: string; key: string } {
  ensureCa();
  const cert = pki(`${name}.pem`);
  const key = pki(`${name}-key.pem`);
  if (fs.existsSync(cert)) return { cert, key };
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/O=${group}/CN=${user}`, '-keyout', key, '-out', pki(`${name}.csr`));
  fs.writeFileSync(pki(`${name}.ext`), 'extendedKeyUsage=clientAuth\n');
  openssl('x509', '-req', '-in', pki(`${name}.csr`), '-CA', CA_CERT, '-CAkey', CA_KEY, '-CAcreateserial', '-days', '3650', '-extfile', pki(`${name}.ext`), '-out', cert);
  return { cert, key };
}

export interface ClusterCredentials {
  readonly apiServerCert: { cert: string; key: string };
  /** The API server's identity towards the kubelet (logs, exec): a client certificate the kubelet trusts. */
  readonly kubeletClientCert: { cert: string; key: string };
  /** The API server's identity towards aggregated API servers (KEDA's metrics server), with request headers. */
  readonly frontProxyClientCert: { cert: string; key: string };
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
  readonly tokenFile: string;
  readonly adminToken: string;
  /** Each node's kubeconfig (its own token, user system:node:<name>), by node name. */
  readonly nodeKubeconfigs: Readonly<Record<string, string>>;
}

function token(name: string): string {
  const f = pki(`${name}.token`);
  if (!fs.existsSync(f)) fs.writeFileSync(f, crypto.randomBytes(24).toString('hex'), { mode: 0o600 });
  return fs.readFileSync(f, 'utf8').trim();
}

function writeKubeconfig(file: string, server: string, user: string, tok: string): void {
  const ca = fs.readFileSync(CA_CERT).toString('base64');
  fs.writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "${server}", certificate-authority-data: ${ca}}
users:
- name: ${user}
  user: {token: ${tok}}
contexts:
- name: local
  context: {cluster: local, user: ${user}}
current-context: local
`,
    { mode: 0o600 },
  );
}

export function ensureCredentials(nodeIp: string): ClusterCredentials {
  ensureCa();
  const apiServerCert = ensureServerCert(
    'kube-apiserver',
    'kube-apiserver',
    ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${NET.clusterDomain}`, 'localhost'],
    [nodeIp, NET.kubernetesServiceIp, '127.0.0.1'],
  );
  const serviceAccountKey = pki('sa-key.pem');
  const serviceAccountPub = pki('sa.pub');
  if (!fs.existsSync(serviceAccountKey)) {
    openssl('genrsa', '-out', serviceAccountKey, '2048');
    openssl('rsa', '-in', serviceAccountKey, '-pubout', '-out', serviceAccountPub);
  }
  const adminToken = token('admin');
  const tokenFile = pki('tokens.csv');
  const server = `https://${nodeIp}:${NODE_PORTS.apiServer}`;
  writeKubeconfig(KUBECONFIG, server, 'admin', adminToken);
  const lines = [`${adminToken},admin,admin,"system:masters"`];
  const nodeKubeconfigs: Record<string, string> = {};
  for (const n of NODES) {
    const tok = token(`node${n.suffix}`);
    lines.push(`${tok},system:node:${n.name},node${n.suffix},"system:nodes"`);
    nodeKubeconfigs[n.name] = pki(`node${n.suffix}.kubeconfig`);
    writeKubeconfig(nodeKubeconfigs[n.name], server, `system:node:${n.name}`, tok);
  }
  fs.writeFileSync(tokenFile, `${lines.join('\n')}\n`, { mode: 0o600 });
  const kubeletClientCert = ensureClientCert('kubelet-client', 'kube-apiserver-kubelet-client', 'system:masters');
  const frontProxyClientCert = ensureClientCert('front-proxy-client', FRONT_PROXY_CLIENT, 'system:front-proxy');
  return { apiServerCert, kubeletClientCert, frontProxyClientCert, serviceAccountKey, serviceAccountPub, tokenFile, adminToken, nodeKubeconfigs };
}
