import { z } from 'zod';

/**
 * AWS-side settings read by the CDK stack (`infra/`). Kept apart from the Kubernetes-side settings
 * so the infra add-ons own their knobs; the manifests read none of these.
 */
export const InfraSettingsSchema = z
  .object({
    vpc: z
      .object({
        /** Use an existing VPC instead of creating one, e.g. `vpc-0abc1234def567890`. */
        existingVpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'a VPC id such as "vpc-0abc1234def567890"').optional(),
        /** CIDR of a new VPC. */
        cidr: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/(1[6-9]|2[0-4])$/, 'an IPv4 CIDR between /16 and /24').default('10.40.0.0/16'),
        /** NAT gateways: one per AZ for HA (prod), or one to save cost (dev). */
        natGateways: z.number().int().min(1).max(3).optional(),
      })
      .strict()
      .prefault({}),
    eks: z
      .object({
        /** Keep the API endpoint private (reachable only from the VPC). */
        privateEndpoint: z.boolean().default(false),
        /** IAM principal ARNs given cluster-admin through access entries. */
        adminPrincipalArns: z.array(z.string().regex(/^arn:aws(-cn)?:iam::\d{12}:(role|user)\/.+$/, 'an IAM role or user ARN')).default([]),
        /** Instance type of the small managed node group for system pods (Graviton). */
        systemNodeInstanceType: z.string().regex(/^[a-z]+\d+g[a-z]*\.[a-z0-9]+$/, 'a Graviton instance type such as "m7g.large"').default('m7g.large'),
        /** Size of that node group. */
        systemNodeCount: z.number().int().min(1).max(10).default(2),
      })
      .strict()
      .prefault({}),
    database: z
      .object({
        /** Aurora writer/reader instance class (Graviton), or `serverless` for Serverless v2. */
        instanceClass: z.string().regex(/^(db\.[a-z]+\d+g[a-z]*\.[a-z0-9]+|serverless)$/, 'a Graviton class such as "db.r7g.large", or "serverless"').default('db.r7g.large'),
        /** Serverless v2 capacity range (ACUs) when instanceClass is `serverless`. */
        minCapacityAcu: z.number().min(0.5).default(0.5),
        maxCapacityAcu: z.number().min(1).default(8),
        /** Days of automated backups (point-in-time recovery window). */
        backupRetentionDays: z.number().int().min(1).max(35).default(7),
        /** Refuse deletion of the cluster (on in prod). */
        deletionProtection: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    cache: z
      .object({
        /** `valkey` (cheaper, Redis-compatible) or `redis`. */
        engine: z.enum(['valkey', 'redis']).default('valkey'),
        /** Node type (Graviton). */
        nodeType: z.string().regex(/^cache\.[a-z]+\d+g[a-z]*\.[a-z0-9]+$/, 'a Graviton node type such as "cache.r7g.large"').default('cache.m7g.large'),
        /** Replicas per shard besides the primary (>= 1 for Multi-AZ failover). */
        replicas: z.number().int().min(0).max(5).default(1),
      })
      .strict()
      .prefault({}),
    /** Create a CodeCommit repository for DAGs (ignored when dags.repoUrl points elsewhere). */
    createCodeCommitRepo: z.boolean().default(true),
    /** E-mail subscribed to the alarm topic. */
    alarmEmail: z.string().email().optional(),
  })
  .strict();

export type InfraSettings = z.output<typeof InfraSettingsSchema>;
