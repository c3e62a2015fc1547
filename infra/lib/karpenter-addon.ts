import { Arn, Aws, Duration, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { karpenterNodeRoleName, type EnvironmentConfig } from '../../manifests-src/config';
import { CHARTS, imageRepository } from './charts';
import { HelmAddOn, onSystemNodes } from './helm-addon';
import { partitionServiceNames } from './partition-services';
import { PodIdentityRole } from './pod-identity';

export interface KarpenterProps {
  readonly env: EnvironmentConfig;
  readonly cluster: eks.ICluster;
}

export const KARPENTER_SERVICE_ACCOUNT = 'karpenter';

/** EventBridge events that announce a node will go away; Karpenter drains it first. */
const INTERRUPTION_EVENTS: Record<string, events.EventPattern> = {
  ScheduledChange: { source: ['aws.health'], detailType: ['AWS Health Event'] },
  SpotInterruption: { source: ['aws.ec2'], detailType: ['EC2 Spot Instance Interruption Warning'] },
  Rebalance: { source: ['aws.ec2'], detailType: ['EC2 Instance Rebalance Recommendation'] },
  InstanceStateChange: { source: ['aws.ec2'], detailType: ['EC2 Instance State-change Notification'] },
};

/** Pure: chart values from the environment and the names created here. */
export function karpenterValues(env: EnvironmentConfig, queueName: string): Record<string, unknown> {
  return {
    settings: { clusterName: env.cluster.name, interruptionQueue: queueName },
    serviceAccount: { name: KARPENTER_SERVICE_ACCOUNT },
    replicas: env.infra.eks.karpenterReplicas,
    ...onSystemNodes,
    controller: {
      image: { repository: imageRepository(env, CHARTS.karpenter.images[0]), tag: CHARTS.karpenter.appVersion, ...(env.images.mirrorRegistry ? { digest: '' } : {}) },
      resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '512Mi' } },
    },
  };
}

/**
 * Instance profiles as upstream Karpenter's v1 controller policy scopes them (AllowScopedInstanceProfileCreationActions,
 * ...TagActions, ...Actions, AllowInstanceProfileReadActions): Karpenter creates one per EC2NodeClass, tagged with the
 * cluster, its region and the node class, and may only tag, attach or detach a role to, or delete a profile carrying
 * those tags. Without the conditions the controller could attach any role it can pass to any instance profile in
 * the account. Resource tags leave out `eks:eks-cluster-name` as upstream does.
 */
export function instanceProfileStatements(clusterName: string, instanceProfiles: string): iam.PolicyStatement[] {
  const tags = (kind: 'RequestTag' | 'ResourceTag', withEksName: boolean) => ({
    StringEquals: {
      [`aws:${kind}/kubernetes.io/cluster/${clusterName}`]: 'owned',
      ...(withEksName ? { [`aws:${kind}/eks:eks-cluster-name`]: clusterName } : {}),
      [`aws:${kind}/topology.kubernetes.io/region`]: Aws.REGION,
    },
    StringLike: { [`aws:${kind}/karpenter.k8s.aws/ec2nodeclass`]: '*' },
  });
  const request = tags('RequestTag', true);
  const resource = tags('ResourceTag', false);
  return [
    new iam.PolicyStatement({ sid: 'ScopedInstanceProfileCreation', actions: ['iam:CreateInstanceProfile'], resources: [instanceProfiles], conditions: request }),
    new iam.PolicyStatement({
      sid: 'ScopedInstanceProfileTagging',
      actions: ['iam:TagInstanceProfile'],
      resources: [instanceProfiles],
      conditions: { StringEquals: { ...resource.StringEquals, ...request.StringEquals }, StringLike: { ...resource.StringLike, ...request.StringLike } },
    }),
    new iam.PolicyStatement({ sid: 'ScopedInstanceProfileActions', actions: ['iam:AddRoleToInstanceProfile', 'iam:RemoveRoleFromInstanceProfile', 'iam:DeleteInstanceProfile'], resources: [instanceProfiles], conditions: resource }),
    new iam.PolicyStatement({ sid: 'InstanceProfileReads', actions: ['iam:GetInstanceProfile'], resources: [instanceProfiles] }),
  ];
}

/**
 * Karpenter: node role (name from the contract, referenced by the EC2NodeClass in dist/), controller role
 * (Pod Identity), the interruption queue and its EventBridge rules, and the Helm release.
 */
export class Karpenter extends Construct {
  readonly nodeRole: iam.Role;
  readonly queue: sqs.Queue;
  readonly release: HelmAddOn;
  /** The karpenter-crd release: the CRDs, upgraded with every Karpenter version. */
  readonly crds: HelmAddOn;

  constructor(scope: Construct, id: string, props: KarpenterProps) {
    super(scope, id);
    const { env, cluster } = props;
    const stack = Stack.of(this);

    this.nodeRole = new iam.Role(this, 'NodeRole', {
      roleName: karpenterNodeRoleName(env),
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      managedPolicies: ['AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy', 'AmazonEC2ContainerRegistryPullOnly', 'AmazonSSMManagedInstanceCore'].map((n) => iam.ManagedPolicy.fromAwsManagedPolicyName(n)),
    });
    new eks.AccessEntry(this, 'NodeAccess', { cluster, principal: this.nodeRole.roleArn, accessEntryType: eks.AccessEntryType.EC2_LINUX, accessPolicies: [] });

    this.queue = new sqs.Queue(this, 'InterruptionQueue', {
      retentionPeriod: Duration.minutes(5),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    for (const [name, eventPattern] of Object.entries(INTERRUPTION_EVENTS)) {
      new events.Rule(this, `${name}Rule`, { eventPattern, targets: [new targets.SqsQueue(this.queue)] });
    }

    const ec2Arn = (resource: string, account = Aws.ACCOUNT_ID) => Arn.format({ service: 'ec2', resource, resourceName: '*', account }, stack);
    const ownedByCluster = { StringEquals: { [`aws:ResourceTag/kubernetes.io/cluster/${env.cluster.name}`]: 'owned' } };
    const requestOwned = { StringEquals: { [`aws:RequestTag/kubernetes.io/cluster/${env.cluster.name}`]: 'owned' } };
    const launched = ['fleet', 'instance', 'volume', 'network-interface', 'launch-template', 'spot-instances-request'].map((r) => ec2Arn(r));
    const statements = [
      new iam.PolicyStatement({ sid: 'LaunchFromSharedResources', actions: ['ec2:RunInstances', 'ec2:CreateFleet'], resources: [ec2Arn('image', ''), ec2Arn('snapshot', ''), ec2Arn('security-group'), ec2Arn('subnet'), ec2Arn('capacity-reservation')] }),
      new iam.PolicyStatement({ sid: 'LaunchFromOwnTemplates', actions: ['ec2:RunInstances', 'ec2:CreateFleet'], resources: [ec2Arn('launch-template')], conditions: ownedByCluster }),
      new iam.PolicyStatement({ sid: 'CreateOwnedResources', actions: ['ec2:RunInstances', 'ec2:CreateFleet', 'ec2:CreateLaunchTemplate'], resources: launched, conditions: requestOwned }),
      new iam.PolicyStatement({ sid: 'TagOnCreate', actions: ['ec2:CreateTags'], resources: launched, conditions: { ...requestOwned, StringEquals: { ...requestOwned.StringEquals, 'ec2:CreateAction': ['RunInstances', 'CreateFleet', 'CreateLaunchTemplate'] } } }),
      new iam.PolicyStatement({ sid: 'TagOwnedInstances', actions: ['ec2:CreateTags'], resources: [ec2Arn('instance')], conditions: ownedByCluster }),
      new iam.PolicyStatement({ sid: 'DeleteOwned', actions: ['ec2:TerminateInstances', 'ec2:DeleteLaunchTemplate'], resources: [ec2Arn('instance'), ec2Arn('launch-template')], conditions: ownedByCluster }),
      new iam.PolicyStatement({
        sid: 'RegionalReads',
        actions: ['ec2:DescribeAvailabilityZones', 'ec2:DescribeImages', 'ec2:DescribeInstances', 'ec2:DescribeInstanceTypeOfferings', 'ec2:DescribeInstanceTypes', 'ec2:DescribeLaunchTemplates', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSpotPriceHistory', 'ec2:DescribeSubnets', 'ec2:DescribeCapacityReservations'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:RequestedRegion': Aws.REGION } },
      }),
      new iam.PolicyStatement({ sid: 'AmiParameters', actions: ['ssm:GetParameter'], resources: [Arn.format({ service: 'ssm', account: '', resource: 'parameter', resourceName: 'aws/service/*' }, stack)] }),
      new iam.PolicyStatement({ sid: 'Pricing', actions: ['pricing:GetProducts'], resources: ['*'] }),
      new iam.PolicyStatement({ sid: 'InterruptionQueue', actions: ['sqs:DeleteMessage', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'], resources: [this.queue.queueArn] }),
      new iam.PolicyStatement({ sid: 'PassNodeRole', actions: ['iam:PassRole'], resources: [this.nodeRole.roleArn], conditions: { StringEquals: { 'iam:PassedToService': partitionServiceNames(env.aws.partition, env.aws.region).ec2PassedToService } } }),
      ...instanceProfileStatements(env.cluster.name, Arn.format({ service: 'iam', region: '', resource: 'instance-profile', resourceName: '*' }, stack)),
      new iam.PolicyStatement({ sid: 'ListInstanceProfiles', actions: ['iam:ListInstanceProfiles'], resources: ['*'] }),
      new iam.PolicyStatement({ sid: 'ClusterEndpoint', actions: ['eks:DescribeCluster'], resources: [cluster.clusterArn] }),
    ];
    const controller = new PodIdentityRole(this, 'Controller', { cluster, namespace: CHARTS.karpenter.namespace, serviceAccount: KARPENTER_SERVICE_ACCOUNT, statements });

    // Helm installs a chart's crds/ folder on the first install only and never upgrades it: the CRDs come from the
    // karpenter-crd chart (same version) as a release of their own, upgraded like any template, before the controller.
    // An environment deployed before this split has the CRDs without Helm's ownership labels: label and annotate them
    // once for release karpenter-crd (app.kubernetes.io/managed-by=Helm, meta.helm.sh/release-name, -namespace), as
    // Karpenter's upgrade guide describes, or the first install of karpenter-crd refuses to take them over.
    this.crds = new HelmAddOn(this, 'Crds', { env, cluster, chart: 'karpenterCrd', values: {} });
    this.release = new HelmAddOn(this, 'Chart', { env, cluster, chart: 'karpenter', values: karpenterValues(env, this.queue.queueName), skipCrds: true });
    this.release.node.addDependency(controller, this.crds);
  }
}
