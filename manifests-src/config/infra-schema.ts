import { z } from 'zod';

/** Why `cidr` is not an IPv4 CIDR EKS accepts (`a.b.c.d/n`, host bits zero), or undefined when it is one. */
export function cidrProblem(cidr: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const prefix = m ? Number(m[5]) : -1;
  if (!m || octets.some((o) => o > 255) || prefix > 32) return `"${cidr}" is not an IPv4 CIDR such as "203.0.113.0/24"`;
  const address = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  if (address % size !== 0) {
    const network = Math.floor(address / size) * size;
    return `"${cidr}" has host bits set: did you mean "${[24, 16, 8, 0].map((b) => Math.floor(network / 2 ** b) % 256).join('.')}/${prefix}"?`;
  }
  return undefined;
}

/**
 * AWS-side settings read by the CDK stack (`infra/`). Kept apart from the Kubernetes-side settings
 * so the infra add-ons own their knobs; the manifests read none of these.
 */
export const InfraSettingsSchema = z
  .object({
    vpc: z
      .object({
        existingVpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'a VPC id such as "vpc-0abc1234def567890"').optional().describe('Use an existing VPC instead of creating one, e.g. `vpc-0abc1234def567890`.'),
        cidr: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/(1[6-9]|2[0-4])$/, 'an IPv4 CIDR between /16 and /24').default('10.40.0.0/16').describe('CIDR of a new VPC.'),
        natGateways: z.number().int().min(1).max(3).optional().describe('NAT gateways (or NAT instances): one per AZ for HA (prod), or one to save cost (dev). Default: one per AZ.'),
        natProvider: z.enum(['gateway', 'instance']).default('gateway').describe('`gateway` (managed NAT gateway, highly available within its AZ) or `instance` (a small Graviton EC2 NAT instance: about a tenth of the price, but a single instance you patch and that can fail; dev only).'),
        natInstanceType: z.string().regex(/^t4g\.(nano|micro|small|medium)$/, 'a t4g size such as "t4g.nano"').default('t4g.nano').describe('Instance type of the NAT instances when natProvider is `instance`.'),
        interfaceEndpoints: z.boolean().default(true).describe('Interface endpoints for ECR, STS, Secrets Manager and CloudWatch Logs (keeps that traffic off the NAT; about USD 7 per endpoint per AZ per month). The S3 gateway endpoint is always created (free).'),
      })
      .strict()
      .prefault({}),
    eks: z
      .object({
        publicAccessCidrs: z
          .array(z.string())
          .default([])
          .describe(
            'IPv4 CIDRs allowed to reach the public Kubernetes API endpoint (your office or VPN egress, e.g. `203.0.113.0/24`). `[]` (the default) keeps the endpoint private: reachable only from the VPC, where the nodes, the CDK kubectl handler and Argo CD run (use a VPN, bastion or SSM port forwarding for kubectl). A /0 such as `0.0.0.0/0` is refused unless `allowPublicEndpointFromAnywhere` is true.',
          ),
        allowPublicEndpointFromAnywhere: z.boolean().default(false).describe('Accept a /0 in `publicAccessCidrs`: the API endpoint open to the whole internet (requests still need IAM credentials). Off: such a config is refused.'),
        adminPrincipalArns: z.array(z.string().regex(/^arn:aws(-cn)?:iam::\d{12}:(role|user)\/.+$/, 'an IAM role or user ARN')).default([]).describe('IAM principal ARNs given cluster-admin through access entries.'),
        systemNodeInstanceType: z.string().regex(/^[a-z]+\d+g[a-z]*\.[a-z0-9]+$/, 'a Graviton instance type such as "m7g.large"').default('m7g.large').describe('Instance type of the small managed node group for system pods (Graviton).'),
        systemNodeCount: z.number().int().min(1).max(10).default(2).describe('Size of that node group (1 saves a node but a node failure stops the controllers until it is replaced: dev only).'),
        systemNodeDiskGib: z.number().int().min(20).max(500).default(50).describe('Root volume (gp3, GiB) of each system node.'),
        karpenterReplicas: z.number().int().min(1).max(3).default(2).describe('Karpenter controller replicas (1 in dev: no node provisioning while it restarts).'),
        containerInsights: z.boolean().default(true).describe('Install the amazon-cloudwatch-observability add-on (Container Insights metrics and the Airflow StatsD scrape); billed per metric/log volume.'),
      })
      .strict()
      .superRefine((eks, ctx) => {
        eks.publicAccessCidrs.forEach((cidr, i) => {
          const problem = /^[\d.]+\/0$/.test(cidr) && !eks.allowPublicEndpointFromAnywhere
            ? `${cidr} opens the Kubernetes API endpoint to the whole internet: list the CIDRs that need it (e.g. your VPN egress "203.0.113.0/24"), use [] for a private endpoint, or set infra.eks.allowPublicEndpointFromAnywhere: true to accept it`
            : cidrProblem(cidr);
          if (problem) ctx.addIssue({ code: 'custom', path: ['publicAccessCidrs', i], message: problem });
        });
      })
      .prefault({}),
    database: z
      .object({
        instanceClass: z.string().regex(/^(db\.[a-z]+\d+g[a-z]*\.[a-z0-9]+|serverless)$/, 'a Graviton class such as "db.r7g.large", or "serverless"').default('db.r7g.large').describe('Aurora writer/reader instance class (Graviton), or `serverless` for Serverless v2.'),
        minCapacityAcu: z.number().min(0).default(0.5).describe('Serverless v2 minimum capacity (ACUs) when instanceClass is `serverless`; 0 lets the database pause (requires autoPauseMinutes).'),
        maxCapacityAcu: z.number().min(1).default(8).describe('Serverless v2 maximum capacity (ACUs).'),
        autoPauseMinutes: z.number().int().min(5).max(1440).optional().describe('Serverless v2 auto-pause: minutes without connections before a 0-ACU database pauses (resume takes about 15 s). Needs minCapacityAcu 0; dev only.'),
        readers: z.number().int().min(0).max(1).default(1).describe('Reader instances (a failover target in another AZ). 0 saves the reader but a writer failure means a restart or restore, not a failover: dev only.'),
        readerScalesWithWriter: z.boolean().default(true).describe('Serverless v2 reader at promotion tier 1, sized like the writer (instant failover at full size). false puts it at tier 2 where it scales on its own load (near the minimum when idle): cheaper, and after a failover it scales up within seconds.'),
        backupRetentionDays: z.number().int().min(1).max(35).default(7).describe('Days of automated backups (point-in-time recovery window).'),
        deletionProtection: z.boolean().default(true).describe('Refuse deletion of the cluster (on in prod).'),
        engineVersion: z.string().regex(/^\d+\.\d+$/, 'an Aurora PostgreSQL version such as "17.5"').default('17.5').describe('Aurora PostgreSQL engine version (major.minor); aws-cn defaults to one known there. `npm run deploy` checks the region offers it.'),
      })
      .strict()
      .prefault({}),
    cache: z
      .object({
        engine: z.enum(['valkey', 'redis']).default('valkey').describe('`valkey` (cheaper, Redis-compatible) or `redis`.'),
        nodeType: z.string().regex(/^cache\.[a-z]+\d+g[a-z]*\.[a-z0-9]+$/, 'a Graviton node type such as "cache.r7g.large"').default('cache.m7g.large').describe('Node type (Graviton).'),
        replicas: z.number().int().min(0).max(5).default(1).describe('Replicas per shard besides the primary (>= 1 for Multi-AZ failover).'),
      })
      .strict()
      .prefault({}),
    longTaskOnDemandWorkers: z.number().min(0).max(50).default(0).describe('Average worker pods (workers.resources each) on on-demand capacity for long tasks that must not meet a spot interruption. Priced by `npm run cost` as its own pool; set it to the long-task queue\'s expected use.'),
    sharedFileSystem: z.boolean().default(false).describe('Create an EFS file system and the EFS CSI add-on for ReadWriteMany volumes. Off: nothing in dist/ mounts one.'),
    createCodeCommitRepo: z.boolean().default(false).describe('Create a CodeCommit repository for DAGs when `dags.repoUrl` is unset. Off by default: CodeCommit stopped accepting new repositories from accounts without one (2024); any git URL in `dags.repoUrl` works.'),
    alarmEmail: z.string().email().optional().describe('E-mail subscribed to the alarm topic.'),
  })
  .strict()
  .superRefine((infra, ctx) => {
    const db = infra.database;
    if (db.minCapacityAcu < 0.5 && db.instanceClass !== 'serverless') ctx.addIssue({ code: 'custom', path: ['database', 'minCapacityAcu'], message: 'below 0.5 only with instanceClass "serverless"' });
    if (db.minCapacityAcu === 0 && db.autoPauseMinutes === undefined) ctx.addIssue({ code: 'custom', path: ['database', 'autoPauseMinutes'], message: 'required when minCapacityAcu is 0 (minutes idle before the database pauses, e.g. 10)' });
    if (db.autoPauseMinutes !== undefined && db.minCapacityAcu !== 0) ctx.addIssue({ code: 'custom', path: ['database', 'minCapacityAcu'], message: 'must be 0 when autoPauseMinutes is set' });
    if (db.minCapacityAcu > 0 && db.minCapacityAcu < 0.5) ctx.addIssue({ code: 'custom', path: ['database', 'minCapacityAcu'], message: 'must be 0 (pause) or >= 0.5' });
  });

export type InfraSettings = z.output<typeof InfraSettingsSchema>;
