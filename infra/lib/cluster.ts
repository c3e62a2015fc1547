import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { Arn, Fn, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { discoveryTags, type EnvironmentConfig } from '../../manifests-src/config';
import { nodeConfigUserData } from '../../manifests-src/platform/node-config';
import { PodIdentityRole } from './pod-identity';
import { KEEP_DATA } from './retention';

export interface ClusterProps {
  readonly env: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  readonly privateSubnets: ec2.SubnetSelection;
}

/**
 * vpc-cni add-on configuration: enforce NetworkPolicies (the agent runs beside aws-node). Without it every
 * NetworkPolicy in dist/ is accepted and ignored.
 */
export const VPC_CNI_CONFIGURATION = {
  enableNetworkPolicy: 'true',
  // /28 prefixes instead of single addresses per ENI slot: a t4g.medium takes 110 pods instead of 17, so the
  // controllers fit the system nodes with room for a rolling update (infra/capacity, test/infra/node-capacity.test.ts).
  env: { ENABLE_PREFIX_DELEGATION: 'true', WARM_PREFIX_TARGET: '1' },
} as const;

/**
 * Pods per system node with prefix delegation: what the EKS AMI recommends below 30 vCPUs. The nodes are created
 * before the vpc-cni add-on is configured, so the kubelet is told through nodeadm's NodeConfig in the launch template.
 */
export const SYSTEM_NODE_MAX_PODS = 110;

/**
 * The API endpoint: private (VPC only) when `infra.eks.publicAccessCidrs` is empty, else also public but only from
 * those CIDRs. Never left at EKS's default public access from 0.0.0.0/0: the schema refuses a /0 without an opt-in.
 */
export function endpointAccess(publicAccessCidrs: readonly string[]): eks.EndpointAccess {
  return publicAccessCidrs.length ? eks.EndpointAccess.PUBLIC_AND_PRIVATE.onlyFrom(...publicAccessCidrs) : eks.EndpointAccess.PRIVATE;
}

/** Node labels of the managed node group; the add-on charts pin their controllers to it. */
export const SYSTEM_NODE_LABELS = { 'airflow-eks/node-pool': 'system' } as const;

/**
 * The EKS cluster (standard mode, not Auto Mode: Karpenter manages the Airflow nodes), a small Graviton
 * managed node group for controllers, access entries, and the AWS-managed add-ons.
 */
export class AirflowCluster extends Construct {
  readonly cluster: eks.Cluster;
  readonly nodegroup: eks.Nodegroup;
  private readonly env: EnvironmentConfig;
  /** The Pod Identity agent add-on: releases whose pods call AWS wait for it (and for their own association). */
  podIdentityAgent!: eks.CfnAddon;

  constructor(scope: Construct, id: string, props: ClusterProps) {
    super(scope, id);
    const { env, vpc, privateSubnets } = props;
    this.env = env;
    const e = env.infra.eks;
    const secretsKey = new kms.Key(this, 'SecretsKey', { enableKeyRotation: true, description: `${env.cluster.name} Kubernetes secrets envelope encryption`, removalPolicy: KEEP_DATA });

    this.cluster = new eks.Cluster(this, 'Cluster', {
      clusterName: env.cluster.name,
      version: eks.KubernetesVersion.of(env.cluster.kubernetesVersion),
      vpc,
      vpcSubnets: [privateSubnets],
      defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
      defaultCapacity: 0,
      endpointAccess: endpointAccess(e.publicAccessCidrs),
      secretsEncryptionKey: secretsKey,
      clusterLogging: [eks.ClusterLoggingTypes.API, eks.ClusterLoggingTypes.AUDIT, eks.ClusterLoggingTypes.AUTHENTICATOR, eks.ClusterLoggingTypes.CONTROLLER_MANAGER, eks.ClusterLoggingTypes.SCHEDULER],
      // The kubectl handler installs Helm charts and the root Application. The public endpoint admits only the
      // configured CIDRs (or nothing), never Lambda's addresses: the handler runs in the VPC and uses the private one.
      kubectlProviderOptions: { kubectlLayer: new KubectlV35Layer(this, 'KubectlLayer'), privateSubnets: vpc.selectSubnets(privateSubnets).subnets },
    });

    // A launch template without an AMI: EKS keeps choosing the AMI; the template adds the kubelet's max pods and
    // the shared kubelet settings (node-config.ts), and carries the disk (a node group with a launch template takes its disk from there).
    const launchTemplate = new ec2.CfnLaunchTemplate(this, 'SystemNodeLaunchTemplate', {
      launchTemplateData: {
        userData: Fn.base64(nodeConfigUserData({ maxPods: SYSTEM_NODE_MAX_PODS })),
        blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { volumeSize: e.systemNodeDiskGib, volumeType: 'gp3', encrypted: true } }],
        metadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 2 },
      },
    });
    this.nodegroup = this.cluster.addNodegroupCapacity('System', {
      launchTemplateSpec: { id: launchTemplate.ref, version: launchTemplate.attrLatestVersionNumber },
      instanceTypes: [new ec2.InstanceType(e.systemNodeInstanceType)],
      amiType: eks.NodegroupAmiType.AL2023_ARM_64_STANDARD,
      minSize: e.systemNodeCount,
      desiredSize: e.systemNodeCount,
      maxSize: e.systemNodeCount + 1,
      subnets: privateSubnets,
      labels: { ...SYSTEM_NODE_LABELS },
    });

    e.adminPrincipalArns.forEach((arn, i) =>
      this.cluster.grantAccess(`Admin${i}`, arn, [eks.AccessPolicy.fromAccessPolicyName('AmazonEKSClusterAdminPolicy', { accessScopeType: eks.AccessScopeType.CLUSTER })]),
    );

    this.addManagedAddons();
    this.tagClusterSecurityGroup(env);
  }

  /** AWS-managed add-ons; the two that call AWS APIs get their role through Pod Identity. */
  private addManagedAddons(): void {
    const clusterName = this.cluster.clusterName;
    const podIdentityAgent = (this.podIdentityAgent = new eks.CfnAddon(this, 'PodIdentityAgent', { clusterName, addonName: 'eks-pod-identity-agent', resolveConflicts: 'OVERWRITE' }));
    for (const name of ['vpc-cni', 'coredns', 'kube-proxy']) {
      const configurationValues = name === 'vpc-cni' ? JSON.stringify(VPC_CNI_CONFIGURATION) : undefined;
      const addon = new eks.CfnAddon(this, name, { clusterName, addonName: name, resolveConflicts: 'OVERWRITE', configurationValues });
      addon.node.addDependency(this.nodegroup);
    }
    const withRole = (id: string, addonName: string, serviceAccount: string, policy: string) => {
      const identity = new PodIdentityRole(this, `${id}Identity`, {
        cluster: this.cluster,
        namespace: id === 'Efs' ? 'kube-system' : 'amazon-cloudwatch',
        serviceAccount,
        managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(policy)],
        // The add-on creates the association from podIdentityAssociations; a second one would conflict.
        createAssociation: false,
      });
      const addon = new eks.CfnAddon(this, id, {
        clusterName,
        addonName,
        resolveConflicts: 'OVERWRITE',
        podIdentityAssociations: [{ serviceAccount, roleArn: identity.role.roleArn }],
      });
      addon.node.addDependency(podIdentityAgent, this.nodegroup);
    };
    if (this.env.infra.sharedFileSystem) withRole('Efs', 'aws-efs-csi-driver', 'efs-csi-controller-sa', 'service-role/AmazonEFSCSIDriverPolicy');
    if (this.env.infra.eks.containerInsights) withRole('CloudWatch', 'amazon-cloudwatch-observability', 'cloudwatch-agent', 'CloudWatchAgentServerPolicy');
    podIdentityAgent.node.addDependency(this.nodegroup);
  }

  /**
   * EKS creates the cluster security group itself, so CloudFormation cannot tag it; Karpenter finds it by
   * the discovery tag (nodes it launches join the same group the control plane and system nodes use).
   */
  private tagClusterSecurityGroup(env: EnvironmentConfig): void {
    const sgId = this.cluster.clusterSecurityGroupId;
    const sgArn = Arn.format({ service: 'ec2', resource: 'security-group', resourceName: sgId }, Stack.of(this));
    const tags = Object.entries(discoveryTags(env)).map(([Key, Value]) => ({ Key, Value }));
    const call: cr.AwsSdkCall = {
      service: 'EC2',
      action: 'createTags',
      parameters: { Resources: [sgId], Tags: tags },
      physicalResourceId: cr.PhysicalResourceId.of(`${env.cluster.name}-cluster-sg-discovery`),
    };
    new cr.AwsCustomResource(this, 'ClusterSecurityGroupTags', {
      onCreate: call,
      onUpdate: call,
      policy: cr.AwsCustomResourcePolicy.fromStatements([new iam.PolicyStatement({ actions: ['ec2:CreateTags'], resources: [sgArn] })]),
      installLatestAwsSdk: false,
    });
  }
}
