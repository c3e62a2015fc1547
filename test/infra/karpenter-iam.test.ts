import { CfnResource, Stack } from 'aws-cdk-lib';
import { loadEnvironments } from '../../manifests-src/config';
import { buildApp } from '../../infra/lib/build-app';
import { stackName } from '../../infra/lib/airflow-eks-stack';
import { ACCEPTED_FINDINGS } from '../../infra/lib/nag-suppressions';
import { committedSynth, type CommittedSynth } from './committed-synth';

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };
type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

const envs = loadEnvironments();
let s: CommittedSynth;
beforeAll(() => {
  s = committedSynth();
});

const actionsOf = (st: Statement) => (Array.isArray(st.Action) ? st.Action : [st.Action]);

/** Statements of the policies attached to the Karpenter controller's Pod Identity role. */
function controllerStatements(resources: Resources): Statement[] {
  const [roleId] = Object.entries(resources).find(([id, r]) => r.Type === 'AWS::IAM::Role' && id.startsWith('KarpenterControllerRole'))!;
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles as Array<{ Ref?: string }>).some((x) => x.Ref === roleId))
    .flatMap((r) => r.Properties.PolicyDocument.Statement as Statement[]);
}

const MUTATING = /^iam:(Create|Tag|AddRoleTo|RemoveRoleFrom|Delete)InstanceProfile$/;

test('Karpenter may change only instance profiles it created for this cluster, region and an EC2NodeClass (upstream v1 conditions)', () => {
  for (const env of envs) {
    const statements = controllerStatements(s.templates[env.name].toJSON().Resources as Resources);
    const profileStatements = statements.filter((st) => actionsOf(st).some((a) => /^iam:.*InstanceProfile/.test(a)));
    expect(profileStatements.length).toBeGreaterThanOrEqual(3);
    const region = { Ref: 'AWS::Region' };
    const tags = (kind: string, eksName: boolean) => ({
      StringEquals: expect.objectContaining({ [`aws:${kind}/kubernetes.io/cluster/${env.cluster.name}`]: 'owned', [`aws:${kind}/topology.kubernetes.io/region`]: region, ...(eksName ? { [`aws:${kind}/eks:eks-cluster-name`]: env.cluster.name } : {}) }),
      StringLike: expect.objectContaining({ [`aws:${kind}/karpenter.k8s.aws/ec2nodeclass`]: '*' }),
    });
    for (const st of profileStatements) {
      const actions = actionsOf(st);
      const at = { env: env.name, actions };
      if (!actions.some((a) => MUTATING.test(a))) {
        // Unconditioned reads only.
        expect({ ...at, reads: actions.every((a) => /^iam:(Get|List)InstanceProfiles?$/.test(a)) }).toEqual({ ...at, reads: true });
        continue;
      }
      if (actions.some((a) => /^iam:(Create|Tag)InstanceProfile$/.test(a))) expect({ ...at, condition: st.Condition }).toEqual({ ...at, condition: tags('RequestTag', true) });
      if (actions.some((a) => /^iam:(Tag|AddRoleTo|RemoveRoleFrom|Delete)InstanceProfile$/.test(a))) expect({ ...at, condition: st.Condition }).toEqual({ ...at, condition: tags('ResourceTag', false) });
    }
    const mutating = profileStatements.flatMap(actionsOf).filter((a) => MUTATING.test(a)).sort();
    expect(mutating).toEqual(['iam:AddRoleToInstanceProfile', 'iam:CreateInstanceProfile', 'iam:DeleteInstanceProfile', 'iam:RemoveRoleFromInstanceProfile', 'iam:TagInstanceProfile']);
  }
});

/** Action names and `service:Prefix*` patterns written in a reason. */
const namedIn = (reason: string) => [...reason.matchAll(/\b[a-z0-9-]+:[A-Za-z]+\*?/g)].map((m) => m[0]);
const covers = (patterns: string[], action: string) => patterns.some((p) => (p.endsWith('*') ? action.startsWith(p.slice(0, -1)) : p === action));

test('an IAM acknowledgement that claims conditions or scoping names every action it leaves unconditioned on a wildcard', () => {
  const prod = envs.find((e) => e.name === 'prod')!;
  const { app, stacks } = buildApp([prod], { stageAssets: false, nag: false });
  const template = app.synth().getStackByName(stackName(prod)).template as { Resources: Resources };
  const stack: Stack = stacks[0];
  const claims = ACCEPTED_FINDINGS.filter((a) => a.rule === 'AwsSolutions-IAM5' && /condition|scoped/i.test(a.reason) && /^\^Karpenter/.test(a.path.source));
  expect(claims.length).toBeGreaterThan(0);
  for (const claim of claims) {
    const policies = stack.node.findAll().filter((c): c is CfnResource => c instanceof CfnResource && c.cfnResourceType === 'AWS::IAM::Policy' && claim.path.test(c.node.path.split('/').slice(1).join('/')));
    expect(policies.length).toBeGreaterThan(0);
    const named = namedIn(claim.reason);
    for (const policy of policies) {
      for (const st of template.Resources[stack.resolve(policy.logicalId)].Properties.PolicyDocument.Statement as Statement[]) {
        if (!JSON.stringify(st.Resource).includes('*') || st.Condition) continue;
        const unnamed = actionsOf(st).filter((a) => !covers(named, a));
        expect({ rule: claim.rule, path: claim.path.source, sid: st.Sid, unnamed }).toEqual({ rule: claim.rule, path: claim.path.source, sid: st.Sid, unnamed: [] });
      }
    }
  }
});
