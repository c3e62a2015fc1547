import * as fs from 'node:fs';
import * as path from 'node:path';
import { portInUse } from './ports';
import { TOOLS_BIN } from './prerequisites';
import type { StackContext } from './stack-options';
import { serverCertificate } from './tls-material';

/** Redis with TLS and AUTH as ElastiCache's stand-in, and the AWS API emulator beside it. */

export async function startRedis(ctx: StackContext): Promise<void> {
  const dir = path.join(ctx.paths.state, 'redis');
  fs.mkdirSync(dir, { recursive: true });
  const { cert, key } = serverCertificate(ctx.paths.caCert);
  // appendonly: the broker keeps its queue across a restart, as an ElastiCache Multi-AZ replica does on failover.
  const args = [
    '--bind', ctx.host, '--port', '0', '--tls-port', String(ctx.ports.redis),
    '--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', ctx.paths.caCert, '--tls-auth-clients', 'no',
    '--requirepass', ctx.secrets.redisAuthToken, '--dir', dir, '--save', '', '--appendonly', 'yes', '--daemonize', 'no',
  ];
  ctx.supervisor.spawn('redis', { command: '/usr/bin/redis-server', args, env: process.env });
  await ctx.supervisor.waitFor('redis', () => portInUse(ctx.ports.redis, ctx.host), 30_000);
}

/** CloudWatch Logs / S3 API: where task logs go so they outlive the worker that wrote them. */
export async function startAwsApi(ctx: StackContext): Promise<void> {
  ctx.supervisor.spawn('aws-api', { command: path.join(TOOLS_BIN, 'moto_server'), args: ['-H', ctx.host, '-p', String(ctx.ports.awsApi)], env: process.env });
  await ctx.supervisor.waitFor('aws-api', () => portInUse(ctx.ports.awsApi, ctx.host), 60_000);
}
