import type { IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport, PolicyViolation } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { EnvironmentConfig } from '../../manifests-src/config';

/** One accepted cdk-nag finding class: which rule, which finding detail, on which constructs, and why. */
export interface AcceptedFinding {
  /** Rule id, e.g. `AwsSolutions-IAM5`. */
  readonly rule: string;
  /** Pattern of the finding detail in brackets (`Resource::…`, `Policy::…`); omitted = the bare rule. */
  readonly finding?: RegExp;
  /** Pattern of the construct path inside the stack. */
  readonly path: RegExp;
  /** Why this is acceptable. */
  readonly reason: string;
  /**
   * The config under which the finding exists at all, when not every config has it. An entry whose condition
   * no synthesized environment meets is not reported unused.
   */
  readonly when?: (env: EnvironmentConfig) => boolean;
}

const CDK_LAMBDAS = /^(Eks\/Cluster\/KubectlProvider\/|AWS679f53fac002430cb0da5b7982bd2287\/|LogRetention[0-9a-f]+\/|SecretFieldsHandler\/|MetadataDb\/Cluster\/RotationSingleUser|AirflowDbLogin\/(Handler|RotationHandler)\/|JwtSigningKeys\/Rotation\/)/;

/**
 * Every acknowledged cdk-nag finding, with its reason: the only place findings are accepted. A finding that
 * matches nothing here stays an error and fails `npm run synth:infra` and the tests.
 */
export const ACCEPTED_FINDINGS: readonly AcceptedFinding[] = [
  {
    rule: 'AwsSolutions-EC23',
    path: /^Network\/Vpc\/(EcrApi|EcrDocker|Sts|SecretsManager|Logs)\/SecurityGroup\//,
    when: (env) => env.infra.vpc.interfaceEndpoints,
    reason: 'Interface endpoint security groups admit HTTPS from the VPC CIDR only; the rule cannot evaluate the CIDR token (Fn::GetAtt) and reports an error instead of a result.',
  },
  {
    rule: 'AwsSolutions-EC23',
    path: /^Network\/Vpc\/NatSecurityGroup\//,
    reason: 'The NAT instance security group (infra.vpc.natProvider "instance") admits traffic from the VPC CIDR only; the rule cannot evaluate the CIDR token (Fn::GetAtt).',
  },
  {
    rule: 'AwsSolutions-EC28',
    path: /^Network\/Vpc\/publicSubnet\d+\/NatInstance\//,
    reason: 'NAT instances exist only in the cheap dev profile (infra.vpc.natProvider "instance"); detailed monitoring would cost more than the instance is worth watching at 1-minute resolution.',
  },
  {
    rule: 'AwsSolutions-EC26',
    path: /^Network\/Vpc\/publicSubnet\d+\/NatInstance\//,
    reason: 'The NAT instance root volume is encrypted through a BlockDeviceMappings override (network.ts; asserted in test/infra/stack.test.ts): NatProvider.instanceV2 has no volume option and the rule reads construct props only.',
  },
  {
    rule: 'AwsSolutions-EC29',
    path: /^Network\/Vpc\/publicSubnet\d+\/NatInstance\//,
    reason: 'A NAT instance is stateless and replaced by the stack; termination protection would only block stack updates and deletion.',
  },
  {
    rule: 'AwsSolutions-AEC4',
    path: /^Broker\/ReplicationGroup$/,
    reason: 'Single-AZ broker only where infra.cache.replicas is 0 (the dev profile, listed in docs/cost.md as never for prod); task_queued_timeout re-queues messages lost with the node.',
  },
  {
    rule: 'AwsSolutions-AEC5',
    path: /^Broker\/ReplicationGroup$/,
    reason: 'The broker listens on the contract port (PORTS.redis, what the Celery URL and the network policies use); its security group admits only the EKS node groups, TLS and an AUTH token are required. The rule fires only for engine redis (the aws-cn default).',
  },
  {
    rule: 'AwsSolutions-IAM4',
    finding: /^Policy::arn:<AWS::Partition>:iam::aws:policy\/(AmazonEKSClusterPolicy|AmazonEKSWorkerNodePolicy|AmazonEKS_CNI_Policy|AmazonEC2ContainerRegistryReadOnly|AmazonEC2ContainerRegistryPullOnly|AmazonSSMManagedInstanceCore)$/,
    path: /^(Eks\/Cluster\/(Role|NodegroupSystem\/NodeGroupRole|KubectlProvider\/Handler\/ServiceRole)|Karpenter\/NodeRole)\//,
    reason: 'EKS cluster and node roles use the AWS managed policies EKS documents for them; AWS updates them as EKS and the VPC CNI gain API calls.',
  },
  {
    rule: 'AwsSolutions-IAM4',
    finding: /^Policy::arn:<AWS::Partition>:iam::aws:policy\/service-role\/(AmazonEFSCSIDriverPolicy)$|^Policy::arn:<AWS::Partition>:iam::aws:policy\/CloudWatchAgentServerPolicy$/,
    path: /^Eks\/(Efs|CloudWatch)Identity\/Role\//,
    reason: 'The EFS CSI driver and CloudWatch Observability add-ons are given the AWS managed policies published for exactly these add-ons (scoped to their service accounts by Pod Identity).',
  },
  {
    rule: 'AwsSolutions-IAM4',
    finding: /^Policy::(arn:<AWS::Partition>:iam::aws:policy\/service-role\/AWSLambda(Basic|VPCAccess)ExecutionRole|.*AmazonElasticContainerRegistryPublicReadOnly.*)$/,
    path: CDK_LAMBDAS,
    reason: 'Deployment-time Lambdas (kubectl/Helm handler, custom resources, log retention, secret rotation) use the basic/VPC execution policies: they only write their own logs and attach to the VPC.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Resource::<EksClusterKubectlProviderHandler[0-9A-F]+\.Arn>:\*$/,
    path: /^Eks\/Cluster\/KubectlProvider\/Provider\/framework-onEvent\//,
    reason: 'The CDK provider framework invokes any version of its own handler function (resource is that function ARN with a version wildcard).',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Resource::\*$/,
    path: /^JwtSigningKeys\/Rotation\/ServiceRole\/DefaultPolicy\//,
    reason: 'aws-secretsmanager grants every rotation function secretsmanager:GetRandomPassword, which has no resource to scope; the function uses none of it (it makes keys, not passwords). Its other statements name the one secret.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Resource::\*$/,
    path: /^LogRetention[0-9a-f]+\/ServiceRole\//,
    reason: 'CDK log-retention helper sets retention on log groups whose names are only known at deploy time.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Resource::\*$/,
    path: /^AirflowDbLogin\/RotationHandler\/ServiceRole\//,
    reason: "aws-cdk-lib's RotationSchedule grants the rotation function secretsmanager:GetRandomPassword, an action with no resource scoping that reads no secret (the function makes its passwords itself); its other statements name the airflow-db secret and the master secret only.",
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Resource::(\*|arn:<AWS::Partition>:(ec2|ssm|iam):.*\*)$/,
    path: /^Karpenter\/Controller\/Role\//,
    reason: 'Karpenter reference controller policy: instances, fleets, volumes, launch templates and instance profiles are created at run time, so resources are wildcards; creating, tagging and deleting them is conditioned on the kubernetes.io/cluster/<name>=owned tag (instance profiles also on the region and karpenter.k8s.aws/ec2nodeclass tags). Unconditioned: launching from shared images, snapshots, subnets, security groups and capacity reservations (ec2:RunInstances, ec2:CreateFleet); region-conditioned reads (ec2:Describe*); ssm:GetParameter on public AWS parameters; iam:GetInstanceProfile; and pricing:GetProducts and iam:ListInstanceProfiles, which support no resource scoping.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Resource::(\*|arn:<AWS::Partition>:(ec2|elasticloadbalancing):\*:\*:.*)$/,
    path: /^AlbController\/Identity\/Role\//,
    reason: 'AWS Load Balancer Controller published IAM policy (as shipped in aws-cdk-lib): load balancers and target groups are created at run time and scoped by elbv2.k8s.aws/cluster tag conditions.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Resource::<Observability(Tasks|Containers|Metrics)[0-9A-F]+\.Arn>:log-stream:\*$/,
    path: /^Access\/(apiServer|scheduler|dagProcessor|triggerer|worker|fluentBit)\/Role\//,
    reason: 'Log streams are created per pod, per task try and per metrics agent at run time; access is limited to the log groups of the component.',
  },
  {
    rule: 'AwsSolutions-L1',
    path: /^Eks\/Cluster\/KubectlProvider\/Handler\//,
    reason: 'The kubectl handler runtime is chosen by aws-eks-v2 to match the kubectl layer; it is not ours to pin.',
  },
  {
    rule: 'AwsSolutions-RDS6',
    path: /^MetadataDb\/Cluster\//,
    reason: 'Clients reach Aurora only through PgBouncer, which cannot present IAM auth tokens; the password lives in Secrets Manager and is rotated every 30 days.',
  },
  {
    rule: 'AwsSolutions-RDS10',
    path: /^MetadataDb\/Cluster\//,
    reason: 'Deletion protection follows infra.database.deletionProtection: on by default and in prod (tested), off only where the config says so (dev).',
  },
  {
    rule: 'AwsSolutions-SMG4',
    path: /^(AirflowSecrets|Broker)\/Secret\//,
    reason: 'Rotating the Fernet key needs Airflow\'s re-encryption runbook (the JWT signing keys are a rotated secret of their own), and the ElastiCache AUTH token rotates with modify-replication-group (ROTATE then SET); neither fits a rotation Lambda. The metadata DB secret is rotated.',
  },
  {
    rule: 'AwsSolutions-SQS3',
    path: /^Karpenter\/InterruptionQueue\//,
    reason: 'Interruption events are useful for two minutes at most; a dead-letter queue would only hold stale events.',
  },
];

/** Findings of CDK's built-in CloudFormation validation accepted for the whole stack, with reasons. */
export const ACCEPTED_TEMPLATE_WARNINGS: ReadonlyArray<{ readonly id: string; readonly reason: string }> = [
  {
    id: 'CloudFormation-Validate::W9009',
    reason: 'aws-eks-v2 writes EncryptionConfig.Resources ["secrets"] for envelope encryption of Kubernetes secrets; the property is marked deprecated in the schema but is what EKS still reads.',
  },
];

/** Acknowledged findings per rule id, for the synth summary. */
export type AcknowledgedCounts = Record<string, number>;

/** What the one cdk-nag pass of a synth found, per stack and per table entry. */
export interface NagOutcome {
  /** Acknowledged findings per stack construct path, per rule. */
  readonly acknowledged: Record<string, AcknowledgedCounts>;
  /** How many findings each ACCEPTED_FINDINGS entry accepted (same order as the table). */
  readonly uses: number[];
}

function parse(id: string): { rule: string; finding?: string } {
  const m = /^([^[]+)(?:\[(.*)\])?$/.exec(id)!;
  return { rule: m[1], finding: m[2] };
}

/** The table entry that accepts a finding of `ruleName` on the construct at `constructPath`, if any. */
function acceptedBy(accepted: readonly AcceptedFinding[], ruleName: string, constructPath: string): number {
  const { rule, finding } = parse(ruleName);
  const inStack = constructPath.split('/').slice(1).join('/');
  return accepted.findIndex((a) => a.rule === rule && a.path.test(inStack) && (a.finding ? finding !== undefined && a.finding.test(finding) : finding === undefined));
}

/**
 * cdk-nag AwsSolutions as the app's one validation plugin: the rules run once, at synth (after every aspect),
 * over the whole app; findings the table accepts are counted, the rest are returned, which fails synth and
 * lands in `<outdir>/validation-report.json` like any plugin's findings.
 */
export class AcceptedFindingsChecks implements IPolicyValidationPlugin {
  readonly name = 'AwsSolutions';
  private result?: NagOutcome;

  constructor(private readonly accepted: readonly AcceptedFinding[] = ACCEPTED_FINDINGS) {}

  /** The outcome of the last synth; throws before the app was synthesized. */
  get outcome(): NagOutcome {
    if (!this.result) throw new Error('cdk-nag has not run: synthesize the app first');
    return this.result;
  }

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const report = new AwsSolutionsChecks().validate(context);
    const acknowledged: Record<string, AcknowledgedCounts> = {};
    const uses = this.accepted.map(() => 0);
    const violations: PolicyViolation[] = [];
    for (const v of report.violations) {
      const open = v.violatingResources.filter((r) => {
        const path = r.constructPath ?? '';
        const i = acceptedBy(this.accepted, v.ruleName, path);
        if (i < 0) return true;
        uses[i] += 1;
        const counts = (acknowledged[path.split('/')[0]] ??= {});
        counts[this.accepted[i].rule] = (counts[this.accepted[i].rule] ?? 0) + 1;
        return false;
      });
      if (open.length) violations.push({ ...v, violatingResources: open });
    }
    this.result = { acknowledged, uses };
    return { success: violations.length === 0, violations };
  }
}

/**
 * Table entries that accepted no finding: like a stale security allowlist entry, a fixed finding must leave
 * the table. Judged on a synth of the committed environments (an entry may serve one of them only); an entry
 * whose `when` none of `envs` meets is exempt.
 */
export function unusedAcceptedFindings(outcome: NagOutcome, envs: readonly EnvironmentConfig[], accepted: readonly AcceptedFinding[] = ACCEPTED_FINDINGS): string[] {
  return accepted.filter((a, i) => outcome.uses[i] === 0 && (!a.when || envs.some(a.when))).map((a) => `${a.rule}${a.finding ? ` ${a.finding}` : ''} on ${a.path}: accepts no finding any more; remove it from infra/lib/nag-suppressions.ts`);
}
