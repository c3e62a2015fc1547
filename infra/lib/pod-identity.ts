import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface PodIdentityRoleProps {
  readonly cluster: eks.ICluster;
  /** Namespace of the Kubernetes service account. */
  readonly namespace: string;
  /** Name of the Kubernetes service account. */
  readonly serviceAccount: string;
  /** Permissions of the role; add more with `role.addToPolicy`. @default none */
  readonly statements?: iam.PolicyStatement[];
  /** AWS managed policies (only where AWS publishes the policy the component needs). @default none */
  readonly managedPolicies?: iam.IManagedPolicy[];
  /** Create the association here; false when a managed add-on creates it from its own config. @default true */
  readonly createAssociation?: boolean;
}

/** Principal of the EKS Pod Identity agent; the same name in aws and aws-cn. */
const POD_IDENTITY_PRINCIPAL = 'pods.eks.amazonaws.com';

/**
 * An IAM role bound to one Kubernetes service account through EKS Pod Identity (no OIDC provider, no
 * annotations on the service account: the association lives in EKS).
 */
export class PodIdentityRole extends Construct {
  readonly role: iam.Role;
  readonly association?: eks.CfnPodIdentityAssociation;

  constructor(scope: Construct, id: string, props: PodIdentityRoleProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal(POD_IDENTITY_PRINCIPAL).withSessionTags(),
      description: `Pod Identity: ${props.namespace}/${props.serviceAccount}`,
      managedPolicies: props.managedPolicies,
    });
    for (const s of props.statements ?? []) this.role.addToPolicy(s);
    if (props.createAssociation === false) return;
    this.association = new eks.CfnPodIdentityAssociation(this, 'Association', {
      clusterName: props.cluster.clusterName,
      namespace: props.namespace,
      serviceAccount: props.serviceAccount,
      roleArn: this.role.roleArn,
    });
  }
}
