/**
 * A MutatingAdmissionPolicy on pod creation and its binding: how the local cluster stands in for what EKS does to a
 * pod as it is created (the Pod Identity webhook; a node's own disk under a hostPath).
 */
export interface PodMutation {
  readonly matchConditions: readonly { name: string; expression: string }[];
  readonly variables?: readonly { name: string; expression: string }[];
  readonly mutations: readonly object[];
}

export function podMutationPolicy(name: string, m: PodMutation): object[] {
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingAdmissionPolicy',
      metadata: { name },
      spec: {
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }] },
        matchConditions: m.matchConditions,
        ...(m.variables ? { variables: m.variables } : {}),
        failurePolicy: 'Fail',
        reinvocationPolicy: 'Never',
        mutations: m.mutations,
      },
    },
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingAdmissionPolicyBinding', metadata: { name }, spec: { policyName: name } },
  ];
}
