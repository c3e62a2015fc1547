import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DATABASES, dagRepoUrl, PORTS, type EnvironmentConfig } from '../../manifests-src/config';
import { rdsCaBundleUrl } from '../../manifests-src/platform/pgbouncer-config';
import { publishDags } from '../../local/dag-repo';
import { LocalStack, PROJECT_ROOT } from '../../local/stack';
import type { LocalSecrets } from '../../local/settings';
import { NET, NODE_PORTS, SERVICE_PORTS, statePath, vpcAddresses } from '../node/layout';
import { CA_CERT, CA_KEY, ensureServerCert, pki } from '../node/pki';
import { AGENT_ADDRESS, associations, startPodIdentityAgent } from './pod-identity';
import { seedLogGroups, seedSecrets } from '../../local/aws-seed';
import { stackTemplate } from '../../local/stack-template';
import { operatorSecrets } from '../../infra/deploy/operator-secrets';
import { startFrontDoor } from './front-door';

/**
 * The managed services outside the cluster, run by the local runner's own server code (one way to start
 * PostgreSQL, Redis and the AWS API emulator), listening on the services address in the VPC namespace:
 * PostgreSQL with TLS (Aurora), Redis with TLS + AUTH (ElastiCache), the AWS API emulator (Secrets
 * Manager, CloudWatch Logs) seeded like the CDK stack seeds AWS, and the HTTPS git + AWS front door.
 */

export const SERVICES_STATE = statePath('services');
export const GIT_ROOT = statePath('git');
/** Written once everything listens: what clients (up, tests) need to know. */
export const SERVICES_READY = path.join(SERVICES_STATE, 'ready.json');

export interface ServicesInfo {
  readonly host: string;
  readonly ports: { postgres: number; redis: number; awsApi: number; https: number };
  readonly secrets: LocalSecrets;
  /** `hosts`: every name the front door answers for; `gitHosts`: those serving git. */
  readonly git: { username: string; password: string; gitopsRepo: string; dagRepo: string; hosts: string[]; gitHosts: string[] };
  readonly caCert: string;
}

/** host, path and repository name of an https git URL such as https://git-codecommit.<region>.amazonaws.com/v1/repos/<name>. */
export function gitLocation(url: string): { host: string; path: string; repo: string } {
  const u = new URL(url);
  if (u.protocol !== 'https:') throw new Error(`git URL ${url}: the local cluster serves https:// repositories only`);
  const p = u.pathname.replace(/\/+$/, '');
  return { host: u.hostname, path: p, repo: p.split('/').filter(Boolean).pop()! };
}

/** Names served by the front door: the git hosts, the AWS API hosts of the environment's region, the RDS CA bundle's host. */
export function frontDoorNames(env: EnvironmentConfig): string[] {
  const suffix = env.aws.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  const aws = ['secretsmanager', 'logs', 'sts', 's3'].map((s) => `${s}.${env.aws.region}.${suffix}`);
  return [...new Set([gitLocation(env.gitops.repoUrl).host, gitLocation(dagRepoUrl(env)).host, ...aws, new URL(rdsCaBundleUrl(env)).hostname])];
}

function gitCredentials(): { username: string; password: string } {
  const f = path.join(SERVICES_STATE, 'git-credentials.json');
  if (!fs.existsSync(f)) fs.writeFileSync(f, JSON.stringify({ username: 'airflow-git', password: crypto.randomBytes(18).toString('hex') }), { mode: 0o600 });
  return JSON.parse(fs.readFileSync(f, 'utf8')) as { username: string; password: string };
}

/** Runs until SIGTERM; then stops every server it started. */
export async function runManagedServices(env: EnvironmentConfig, log: (l: string) => void): Promise<void> {
  const vpc = vpcAddresses(env);
  fs.rmSync(SERVICES_READY, { force: true });
  const tls = path.join(SERVICES_STATE, 'tls');
  fs.mkdirSync(tls, { recursive: true });
  // One CA for the cluster and the services: pods trust a single root.
  fs.copyFileSync(CA_CERT, path.join(tls, 'ca.pem'));
  fs.copyFileSync(CA_KEY, path.join(tls, 'ca-key.pem'));
  const stack = new LocalStack({
    env,
    stateDir: SERVICES_STATE,
    listenAddress: vpc.services,
    fixedPorts: { postgres: PORTS.postgres, redis: PORTS.redis, awsApi: SERVICE_PORTS.awsApi },
    clientCidrs: [NET.clusterCidr, `${vpc.node}/32`],
    pgbouncer: false,
    onEvent: log,
  });
  // Read before any server starts: a stack that cannot be synthesized stops the bootstrap here, with its reason.
  const template = stackTemplate(env);
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stack.stop().then(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await stack.startManagedServices();

  const git = gitCredentials();
  const gitops = gitLocation(env.gitops.repoUrl);
  const dags = gitLocation(dagRepoUrl(env));
  fs.mkdirSync(GIT_ROOT, { recursive: true });
  const commit = publishDags(path.join(PROJECT_ROOT, 'dags'), path.join(GIT_ROOT, dags.repo), env);
  log(`dags: published ${commit.slice(0, 12)} to ${dags.repo}`);
  const names = frontDoorNames(env);
  const cert = ensureServerCert('front-door', names[0], [...names, `*.${env.aws.region}.${env.aws.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com'}`], [vpc.services]);
  await startFrontDoor({
    listen: { host: vpc.services, port: SERVICE_PORTS.gitHttps },
    cert: cert.cert,
    key: cert.key,
    gitRoot: GIT_ROOT,
    // Both repositories ask for credentials when the config says they are private (the user's secrets below).
    repos: [{ ...gitops, auth: env.gitops.auth === 'none' ? undefined : git }, { ...dags, auth: env.dags.auth === 'none' ? undefined : git }],
    awsApi: { host: vpc.services, port: SERVICE_PORTS.awsApi },
    // The "Aurora" here presents a certificate from the local CA: that CA is its published bundle.
    files: { [rdsCaBundleUrl(env)]: fs.readFileSync(CA_CERT, 'utf8') },
    log,
  });
  await startPodIdentityAgent({
    host: AGENT_ADDRESS,
    apiServer: { host: vpc.node, port: NODE_PORTS.apiServer, caCert: CA_CERT, tokenFile: pki('admin.token') },
    associations: associations(env),
    accountId: env.aws.account,
    log,
  });
  const awsEndpoint = `http://${vpc.services}:${SERVICE_PORTS.awsApi}`;
  // As the user does before `npm run deploy` (the preflight's list): git credentials, here the front door's.
  const userSecrets: Record<string, Record<string, string>> = {};
  for (const o of operatorSecrets(env)) {
    if (o.auth !== 'https') throw new Error(`${o.field}: the local cluster's git front door serves HTTPS only; use "https" or "none" to run ${env.name} here`);
    userSecrets[o.name] = { [o.keys[0]]: git.username, [o.keys[1]]: git.password };
  }
  const seeded = await seedSecrets(env, template, { endpoint: awsEndpoint, region: env.aws.region, caCert: CA_CERT }, { host: vpc.services, postgresPort: PORTS.postgres, redisPort: PORTS.redis, dbname: DATABASES.metadata }, stack.secrets, userSecrets);
  log(`Secrets Manager: ${seeded.join(', ')} (from the stack's template and the preflight's list)`);
  log(`CloudWatch Logs: ${(await seedLogGroups(template, awsEndpoint, env.aws.region)).join(', ')} (the stack's log groups)`);
  const info: ServicesInfo = {
    host: vpc.services,
    ports: { postgres: PORTS.postgres, redis: PORTS.redis, awsApi: SERVICE_PORTS.awsApi, https: SERVICE_PORTS.gitHttps },
    secrets: stack.secrets,
    git: { ...git, gitopsRepo: gitops.repo, dagRepo: dags.repo, hosts: names, gitHosts: [...new Set([gitops.host, dags.host])] },
    caCert: CA_CERT,
  };
  fs.writeFileSync(SERVICES_READY, JSON.stringify(info, null, 2), { mode: 0o600 });
  log(`managed services ready on ${vpc.services}`);
}

export function readServicesInfo(): ServicesInfo | undefined {
  return fs.existsSync(SERVICES_READY) ? (JSON.parse(fs.readFileSync(SERVICES_READY, 'utf8')) as ServicesInfo) : undefined;
}
