import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';

/**
 * The HTTPS endpoint pods reach for "AWS": one TLS listener (certificate from the local CA) that answers
 * for the CodeCommit git host, serving repositories with git's own smart-HTTP server (git http-backend),
 * for the AWS API hosts, forwarded to the AWS API emulator, and for public AWS files such as the RDS CA bundle. In-cluster DNS (CoreDNS `hosts`) points
 * those names here, so the committed URLs in argocd/ and dist/ are used unchanged.
 */

export interface FrontDoorOptions {
  readonly listen: { host: string; port: number };
  readonly cert: string;
  readonly key: string;
  /** Folder holding the bare repositories. */
  readonly gitRoot: string;
  /** The repositories served as git, by the host and path of their committed URL; other URLs go to the AWS API emulator. */
  readonly repos: readonly GitRepository[];
  readonly awsApi: { host: string; port: number };
  /** Public AWS files served as they are published, by URL (e.g. the RDS CA bundle: here, the local CA). */
  readonly files: Readonly<Record<string, string>>;
  readonly log: (line: string) => void;
}

export interface GitRepository {
  readonly host: string;
  /** URL path of the repository, e.g. /v1/repos/<name> (CodeCommit) or /platform/airflow-eks.git. */
  readonly path: string;
  /** Folder name of the bare repository under gitRoot. */
  readonly repo: string;
  /** HTTP basic auth the repository requires (CodeCommit git credentials). */
  readonly auth?: { username: string; password: string };
}

function repositoryOf(o: FrontDoorOptions, host: string, pathname: string): { repo: GitRepository; rest: string } | undefined {
  const repo = o.repos.find((r) => r.host === host && (pathname === r.path || pathname.startsWith(`${r.path}/`)));
  return repo && { repo, rest: pathname.slice(repo.path.length) };
}

export function startFrontDoor(o: FrontDoorOptions): Promise<https.Server> {
  const server = https.createServer({ cert: fs.readFileSync(o.cert), key: fs.readFileSync(o.key) }, (req, res) => {
    const host = (req.headers.host ?? '').split(':')[0];
    const file = o.files[`https://${host}${req.url ?? ''}`];
    if (file !== undefined && req.method === 'GET') res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(file);
    else {
      const target = repositoryOf(o, host, new URL(req.url ?? '/', 'https://x').pathname);
      if (target) serveGit(o, target.repo, target.rest, req, res);
      else forward(o, req, res);
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.listen.port, o.listen.host, () => resolve(server));
  });
}

function forward(o: FrontDoorOptions, req: http.IncomingMessage, res: http.ServerResponse): void {
  const up = http.request({ host: o.awsApi.host, port: o.awsApi.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res);
  });
  up.on('error', (e) => {
    res.writeHead(502).end(`AWS API emulator unreachable: ${e.message}`);
  });
  req.pipe(up);
}

function serveGit(o: FrontDoorOptions, repository: GitRepository, rest: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url!, 'https://x');
  if (!fs.existsSync(path.join(o.gitRoot, repository.repo, 'HEAD'))) {
    res.writeHead(404).end(`repository ${repository.repo} not found`);
    return;
  }
  const need = repository.auth;
  let user = '';
  if (need) {
    const m = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    const [u, ...p] = m ? Buffer.from(m[1], 'base64').toString().split(':') : [];
    if (u !== need.username || p.join(':') !== need.password) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end();
      return;
    }
    user = u;
  }
  const cgi = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: o.gitRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: `/${repository.repo}${rest}`,
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      CONTENT_LENGTH: req.headers['content-length'] ?? '',
      HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
      GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      REMOTE_USER: user,
      REMOTE_ADDR: req.socket.remoteAddress ?? '',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  req.pipe(cgi.stdin);
  let head = Buffer.alloc(0);
  let headersDone = false;
  cgi.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n') >= 0 ? head.indexOf('\r\n\r\n') : head.indexOf('\n\n');
    if (end < 0) return;
    const sep = head.indexOf('\r\n\r\n') >= 0 ? 4 : 2;
    const headers: Record<string, string> = {};
    let status = 200;
    for (const line of head.subarray(0, end).toString().split(/\r?\n/)) {
      const i = line.indexOf(':');
      const k = line.slice(0, i).trim();
      const v = line.slice(i + 1).trim();
      if (k.toLowerCase() === 'status') status = Number(v.split(' ')[0]);
      else headers[k] = v;
    }
    headersDone = true;
    res.writeHead(status, headers);
    res.write(head.subarray(end + sep));
  });
  cgi.stderr.on('data', (d: Buffer) => o.log(`git http-backend: ${d.toString().trim()}`));
  cgi.on('close', () => {
    if (!headersDone) res.writeHead(500);
    res.end();
  });
}
