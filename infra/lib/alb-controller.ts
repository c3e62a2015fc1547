import * as fs from 'node:fs';
import * as path from 'node:path';
import { Aws, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../manifests-src/config';
import { CHARTS, imageRepository } from './charts';
import { HelmAddOn, onSystemNodes } from './helm-addon';
import { PodIdentityRole } from './pod-identity';

export interface AlbControllerProps {
  readonly env: EnvironmentConfig;
  readonly cluster: eks.ICluster;
  readonly vpc: ec2.IVpc;
}

export const ALB_SERVICE_ACCOUNT = 'aws-load-balancer-controller';

/**
 * The controller's published IAM policy, as shipped inside aws-cdk-lib: the newest it carries (v3.2.2) for the v3.x
 * controller in charts.ts; bump when aws-cdk-lib ships a newer file.
 */
const POLICY_VERSION = 'v3.2.2';

/** Reads the published policy and swaps its `arn:aws:` literals for the stack's partition (aws-cn works). */
export function albControllerStatements(): iam.PolicyStatement[] {
  const file = path.join(path.dirname(require.resolve('aws-cdk-lib/package.json')), 'aws-eks-v2', 'lib', 'addons', `alb-iam_policy-${POLICY_VERSION}.json`);
  const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { Statement: Array<Record<string, unknown>> };
  const rewrite = (r: unknown): unknown => (typeof r === 'string' ? r.replace(/^arn:aws:/, `arn:${Aws.PARTITION}:`) : Array.isArray(r) ? r.map(rewrite) : r);
  return doc.Statement.map((s) => iam.PolicyStatement.fromJson({ ...s, Resource: rewrite(s.Resource) }));
}

/** Pure: chart values. */
export function albControllerValues(env: EnvironmentConfig, region: string, vpcId: string): Record<string, unknown> {
  return {
    clusterName: env.cluster.name,
    region,
    vpcId,
    serviceAccount: { create: true, name: ALB_SERVICE_ACCOUNT },
    image: { repository: imageRepository(env, CHARTS.albController.images[0]), tag: CHARTS.albController.appVersion },
    replicaCount: 2,
    ...onSystemNodes,
    // Pod Identity credentials; no IRSA annotation needed. ingressClass `alb` is what dist/ uses.
    ingressClass: 'alb',
    createIngressClassResource: true,
    // Its Service mutating webhook (failurePolicy Fail) would reject Services of releases installed in parallel
    // until the controller is up; dist/ has no Service of type LoadBalancer, so it is off.
    enableServiceMutatorWebhook: false,
    // Shield Advanced and WAF are not offered to the ALB in China: the controller's calls would fail there.
    ...(env.aws.partition === 'aws-cn' ? { enableShield: false, enableWaf: false, enableWafv2: false } : {}),
  };
}

/** AWS Load Balancer Controller: provisions the ALB for the Airflow Ingress in dist/. */
export class AlbController extends Construct {
  readonly release: HelmAddOn;
  constructor(scope: Construct, id: string, props: AlbControllerProps) {
    super(scope, id);
    const { env, cluster, vpc } = props;
    const identity = new PodIdentityRole(this, 'Identity', { cluster, namespace: CHARTS.albController.namespace, serviceAccount: ALB_SERVICE_ACCOUNT, statements: albControllerStatements() });
    this.release = new HelmAddOn(this, 'Chart', { env, cluster, chart: 'albController', values: albControllerValues(env, Stack.of(this).region, vpc.vpcId) });
    this.release.node.addDependency(identity);
  }
}
