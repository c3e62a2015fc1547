import { Tags } from 'aws-cdk-lib';
import { KEEP_DATA } from './retention';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { discoveryTags, SUBNET_LAYOUT, type EnvironmentConfig } from '../../manifests-src/config';

export interface NetworkProps {
  readonly env: EnvironmentConfig;
}

/** Interface endpoints that keep image pulls, credentials and logs off the NAT gateways (infra.vpc.interfaceEndpoints). */
const INTERFACE_ENDPOINTS: Record<string, ec2.InterfaceVpcEndpointAwsService> = {
  EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
  EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
  Sts: ec2.InterfaceVpcEndpointAwsService.STS,
  SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
};

/** Root volume of a NAT instance (the AL2023 minimum); the estimator prices the same figure. */
export const NAT_INSTANCE_DISK_GIB = 8;

/**
 * The VPC: public subnets for load balancers and NAT, private subnets (large: VPC CNI gives every pod an IP)
 * for nodes, Aurora, ElastiCache and EFS. Or an existing VPC looked up by id (its private subnets must carry
 * the Karpenter discovery tag: CloudFormation cannot tag resources it does not own).
 */
export class Network extends Construct {
  readonly vpc: ec2.IVpc;
  readonly privateSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { env } = props;
    const { vpc: cfg } = env.infra;
    if (cfg.existingVpcId) {
      this.vpc = ec2.Vpc.fromLookup(this, 'Vpc', { vpcId: cfg.existingVpcId });
      return;
    }
    const azs = env.cluster.availabilityZones;
    // A NAT instance (dev) costs a tenth of a gateway; it admits traffic from the VPC only and sends it out.
    const natGatewayProvider =
      cfg.natProvider === 'instance'
        ? ec2.NatProvider.instanceV2({
            instanceType: new ec2.InstanceType(cfg.natInstanceType),
            machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
            defaultAllowedTraffic: ec2.NatTrafficDirection.OUTBOUND_ONLY,
          })
        : ec2.NatProvider.gateway();
    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(cfg.cidr),
      maxAzs: azs,
      natGateways: cfg.natGateways ?? azs,
      natGatewayProvider,
      // The manifests' NetworkPolicies derive these subnets' CIDRs from the same layout (subnetCidrs).
      subnetConfiguration: SUBNET_LAYOUT.map(({ name, cidrMask }) => ({
        name,
        cidrMask,
        subnetType: name === 'public' ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS,
      })),
      restrictDefaultSecurityGroup: false,
    });
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', { retention: env.logging.retentionDays as logs.RetentionDays, removalPolicy: KEEP_DATA });
    vpc.addFlowLog('FlowLog', { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.REJECT });
    vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [this.privateSubnets] });
    if (natGatewayProvider instanceof ec2.NatInstanceProviderV2) {
      natGatewayProvider.securityGroup.addIngressRule(ec2.Peer.ipv4(vpc.vpcCidrBlock), ec2.Port.allTraffic(), 'Egress of the private subnets');
      for (const nat of natGatewayProvider.gatewayInstances) {
        nat.instance.addPropertyOverride('BlockDeviceMappings', [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeType: 'gp3', VolumeSize: NAT_INSTANCE_DISK_GIB } }]);
        // The subnet fixes the zone; a literal zone name in the template is what cfn-lint W3010 warns about.
        nat.instance.addPropertyDeletionOverride('AvailabilityZone');
      }
    }
    if (cfg.interfaceEndpoints) {
      for (const [name, service] of Object.entries(INTERFACE_ENDPOINTS)) {
        vpc.addInterfaceEndpoint(name, { service, subnets: this.privateSubnets, privateDnsEnabled: true });
      }
    }
    for (const subnet of vpc.privateSubnets) {
      for (const [k, v] of Object.entries(discoveryTags(env))) Tags.of(subnet).add(k, v);
      // The ALB controller places internal load balancers in subnets with this role tag.
      Tags.of(subnet).add('kubernetes.io/role/internal-elb', '1');
    }
    for (const subnet of vpc.publicSubnets) Tags.of(subnet).add('kubernetes.io/role/elb', '1');
    this.vpc = vpc;
  }
}
