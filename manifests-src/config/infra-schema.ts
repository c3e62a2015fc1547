import { z } from 'zod';

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
        natGateways: z.number().int().min(1).max(3).optional().describe('NAT gateways: one per AZ for HA (prod), or one to save cost (dev).'),
      })
      .strict()
      .prefault({}),
    eks: z
      .object({
        privateEndpoint: z.boolean().default(false).describe('Keep the API endpoint private (reachable only from the VPC).'),
        adminPrincipalArns: z.array(z.string().regex(/^arn:aws(-cn)?:iam::\d{12}:(role|user)\/.+$/, 'an IAM role or user ARN')).default([]).describe('IAM principal ARNs given cluster-admin through access entries.'),
        systemNodeInstanceType: z.string().regex(/^[a-z]+\d+g[a-z]*\.[a-z0-9]+$/, 'a Graviton instance type such as "m7g.large"').default('m7g.large').describe('Instance type of the small managed node group for system pods (Graviton).'),
        systemNodeCount: z.number().int().min(1).max(10).default(2).describe('Size of that node group.'),
      })
      .strict()
      .prefault({}),
    database: z
      .object({
        instanceClass: z.string().regex(/^(db\.[a-z]+\d+g[a-z]*\.[a-z0-9]+|serverless)$/, 'a Graviton class such as "db.r7g.large", or "serverless"').default('db.r7g.large').describe('Aurora writer/reader instance class (Graviton), or `serverless` for Serverless v2.'),
        minCapacityAcu: z.number().min(0.5).default(0.5).describe('Serverless v2 capacity range (ACUs) when instanceClass is `serverless`.'),
        maxCapacityAcu: z.number().min(1).default(8),
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
    createCodeCommitRepo: z.boolean().default(false).describe('Create a CodeCommit repository for DAGs when `dags.repoUrl` is unset. Off by default: CodeCommit stopped accepting new repositories from accounts without one (2024); any git URL in `dags.repoUrl` works.'),
    alarmEmail: z.string().email().optional().describe('E-mail subscribed to the alarm topic.'),
  })
  .strict();

export type InfraSettings = z.output<typeof InfraSettingsSchema>;
