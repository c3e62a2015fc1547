import { App, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import { PORTS, SERVICE_ACCOUNTS, subnetCidrs } from '../../manifests-src/config';
import { allowedFlows, ipRangesOf, POD_PEERS, POD_SERVICE_ACCOUNTS, type Flow, type Peer, type PodPeer } from '../../manifests-src/platform/network-flows';
import { Network } from '../../infra/lib/vpc';
import { cidrContains, flowAllowed, type Endpoint } from '../support/netpol-eval';
import { environment, render } from '../support/render';

/**
 * Enumerates every (source, destination, port) among Airflow's pods and the outside peers, evaluates the
 * generated NetworkPolicies with Kubernetes semantics, and compares with the flow table: each listed
 * flow must be allowed, everything else refused.
 */
const env = environment('prod');
const policies = render([env]).filter((o) => o.obj.kind === 'NetworkPolicy').map((o) => o.obj);
// prod's VPC 10.40.0.0/16 over 2 zones: public 10.40.0.0/24 + 10.40.1.0/24, private 10.40.32.0/19 + 10.40.64.0/19.
const privateIp = '10.40.33.9';
const ns = (name: string) => ({ 'kubernetes.io/metadata.name': name });

const endpoints: Record<Peer, Endpoint> = {
  ...(Object.fromEntries(
    (Object.keys(POD_PEERS) as PodPeer[]).map((p, i) => [p, { ip: `10.40.3.${i + 10}`, pod: { namespace: env.namespace, labels: { 'app.kubernetes.io/name': POD_PEERS[p] }, namespaceLabels: ns(env.namespace) } }]),
  ) as unknown as Record<PodPeer, Endpoint>),
  'load-balancer': { ip: privateIp },
  aurora: { ip: '10.40.40.20' },
  elasticache: { ip: '10.40.70.30' },
  'pod-identity-agent': { ip: '169.254.170.23' },
  'aws-apis-and-git': { ip: '52.94.1.1' },
  'git-ssh': { ip: '52.94.1.2' },
  'kube-dns': { ip: '10.40.5.5', pod: { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, namespaceLabels: ns('kube-system') } },
  keda: { ip: '10.40.5.6', pod: { namespace: 'keda', labels: { app: 'keda-operator' }, namespaceLabels: ns('keda') } },
  'metrics-scraper': { ip: '10.40.5.7', pod: { namespace: 'amazon-cloudwatch', labels: { app: 'cwagent' }, namespaceLabels: ns('amazon-cloudwatch') } },
};

const pods = Object.keys(POD_PEERS) as PodPeer[];
const inbound: Peer[] = ['load-balancer', 'keda', 'metrics-scraper'];
const outbound: Peer[] = ['aurora', 'elasticache', 'aws-apis-and-git', 'kube-dns', 'pod-identity-agent'];
const candidatePorts: [number, 'TCP' | 'UDP'][] = [
  ...[...new Set([...Object.values(PORTS), env.pgbouncer.port, 443, 22, 53])].map((p): [number, 'TCP'] => [p, 'TCP']),
  [53, 'UDP'],
  [PORTS.statsd, 'UDP'],
];

const table = allowedFlows(env);
const listed = (from: Peer, to: Peer, port: number, protocol: string) => table.some((f: Flow) => f.from === from && f.to === to && f.port === port && f.protocol === protocol);
/** A table peer named by address range also stands for every endpoint inside that range (NetworkPolicy semantics). */
const stands = (tablePeer: Peer, actual: Peer) => tablePeer === actual || (ipRangesOf(env, tablePeer) ?? []).some((cidr) => cidrContains(cidr, endpoints[actual].ip));
const isPod = (p: Peer): p is PodPeer => p in POD_PEERS;
const flowsOn = (port: number, protocol: string) => table.filter((f: Flow) => f.port === port && f.protocol === protocol);
/** Both sides must agree, as in Kubernetes: the source's egress (if it is our pod) and the destination's ingress. */
const expectedAllowed = (from: Peer, to: Peer, port: number, protocol: string) => {
  const flows = flowsOn(port, protocol);
  const egress = !isPod(from) || flows.some((f) => f.from === from && stands(f.to, to));
  const ingress = !isPod(to) || flows.some((f) => f.to === to && stands(f.from, from));
  return egress && ingress;
};

describe('NetworkPolicies in dist/ allow exactly the flow table', () => {
  const pairs: [Peer, Peer][] = [
    ...pods.flatMap((a) => pods.filter((b) => b !== a).map((b): [Peer, Peer] => [a, b])),
    ...inbound.flatMap((a) => pods.map((b): [Peer, Peer] => [a, b])),
    ...pods.flatMap((a) => outbound.map((b): [Peer, Peer] => [a, b])),
  ];

  test.each(pairs)('%s -> %s', (from, to) => {
    const mismatches = candidatePorts
      .map(([port, protocol]) => ({ port, protocol, expected: expectedAllowed(from, to, port, protocol), actual: flowAllowed(policies, endpoints[from], endpoints[to], port, protocol) }))
      .filter((r) => r.expected !== r.actual)
      .map((r) => `${r.port}/${r.protocol}: policy says ${r.actual ? 'allow' : 'deny'}, table says ${r.expected ? 'allow' : 'deny'}`);
    expect(mismatches).toEqual([]);
  });

  test('the flows Airflow cannot work without are in the table', () => {
    expect(listed('worker', 'api-server', PORTS.apiServer, 'TCP')).toBe(true);
    expect(listed('api-server', 'worker', PORTS.workerLogServer, 'TCP')).toBe(true);
    expect(listed('scheduler', 'pgbouncer', env.pgbouncer.port, 'TCP')).toBe(true);
    expect(listed('pgbouncer', 'aurora', PORTS.postgres, 'TCP')).toBe(true);
    expect(listed('keda', 'pgbouncer', env.pgbouncer.port, 'TCP')).toBe(true);
  });

  test('nothing bypasses PgBouncer to reach the database but the migration (its lock session outlives idle_transaction_timeout)', () => {
    expect(flowAllowed(policies, endpoints.migrate, endpoints.aurora, PORTS.postgres, 'TCP')).toBe(true);
    for (const p of pods.filter((x) => x !== 'pgbouncer' && x !== 'migrate')) {
      expect([p, flowAllowed(policies, endpoints[p], endpoints.aurora, PORTS.postgres, 'TCP')]).toEqual([p, false]);
      expect([p, flowAllowed(policies, endpoints[p], endpoints.pgbouncer, PORTS.postgres, 'TCP')]).toEqual([p, false]);
    }
  });

  test('only the api-server is reachable from outside the namespace, besides PgBouncer for KEDA and metrics ports', () => {
    const open = inbound.flatMap((src) => pods.flatMap((dst) => candidatePorts.filter(([port, proto]) => flowAllowed(policies, endpoints[src], endpoints[dst], port, proto)).map(([port]) => `${dst}:${port}`)));
    expect([...new Set(open)].sort()).toEqual([`statsd:${PORTS.statsdMetrics}`, `api-server:${PORTS.apiServer}`, `pgbouncer:${env.pgbouncer.port}`, `pgbouncer:${PORTS.pgbouncerExporter}`].sort());
  });

  test('the evaluator is not vacuous: without policies everything is open', () => {
    expect(flowAllowed([], endpoints.worker, endpoints.pgbouncer, 1234, 'TCP')).toBe(true);
    expect(flowAllowed(policies, endpoints.worker, endpoints.pgbouncer, 1234, 'TCP')).toBe(false);
  });
});

/**
 * Requirements that do not come from the flow table: if the table (and so the policies) lost one of
 * these flows, pods would lose DNS or their AWS credentials on a cluster that enforces policies.
 */
describe('flows every pod needs, whatever the table says', () => {
  test.each(pods)('%s resolves names through kube-dns (UDP and TCP 53)', (pod) => {
    expect(flowAllowed(policies, endpoints[pod], endpoints['kube-dns'], 53, 'UDP')).toBe(true);
    expect(flowAllowed(policies, endpoints[pod], endpoints['kube-dns'], 53, 'TCP')).toBe(true);
  });

  // The service accounts infra/ gives a Pod Identity association (SERVICE_ACCOUNTS), matched by name.
  const awsPods = pods.filter((p) => Object.values(SERVICE_ACCOUNTS).some((sa) => sa.aws && sa.name === POD_SERVICE_ACCOUNTS[p]));

  // Every Airflow process writes through the remote log handler (the dag-processor its file-processing logs).
  test('the pods with a Pod Identity association are the api-server, schedulers, dag-processor, triggerers and workers', () => {
    expect(awsPods.sort()).toEqual(['api-server', 'scheduler', 'dag-processor', 'triggerer', 'worker', 'worker-long'].sort());
  });

  test.each(awsPods)('%s reaches the EKS Pod Identity agent on IPv4 and IPv6 (port 80), and nothing else on the link-local range', (pod) => {
    for (const ip of ['169.254.170.23', 'fd00:ec2::23']) expect([ip, flowAllowed(policies, endpoints[pod], { ip }, 80, 'TCP')]).toEqual([ip, true]);
    // Not the instance metadata service: pods get credentials from Pod Identity only.
    expect(flowAllowed(policies, endpoints[pod], { ip: '169.254.169.254' }, 80, 'TCP')).toBe(false);
  });

  test('pods without AWS access cannot reach the agent', () => {
    for (const pod of pods.filter((p) => !awsPods.includes(p))) expect([pod, flowAllowed(policies, endpoints[pod], endpoints['pod-identity-agent'], 80, 'TCP')]).toEqual([pod, false]);
  });
});

describe('address ranges are the subnets the infra stack creates, not the whole VPC', () => {
  test('subnetCidrs() matches the CIDRs of the real infra VPC (2 and 3 zones)', () => {
    for (const e of [env, environment('dev'), environment('prod', { cluster: { name: 'airflow-prod', availabilityZones: 3 } })]) {
      const stack = new Stack(new App(), 'Net', { env: { account: e.aws.account, region: e.aws.region } });
      const vpc = new Network(stack, 'Network', { env: e }).vpc;
      const cidrs = (subnets: ec2.ISubnet[]) => subnets.map((s) => (s as ec2.Subnet).ipv4CidrBlock);
      expect(cidrs(vpc.privateSubnets)).toEqual(subnetCidrs(e, 'private'));
      expect(cidrs(vpc.publicSubnets)).toEqual(subnetCidrs(e, 'public'));
    }
  });

  test('PgBouncer reaches Aurora in the private subnets only, and only on the PostgreSQL port', () => {
    expect(flowAllowed(policies, endpoints.pgbouncer, { ip: '10.40.70.1' }, PORTS.postgres, 'TCP')).toBe(true);
    expect(flowAllowed(policies, endpoints.pgbouncer, { ip: '10.40.0.10' }, PORTS.postgres, 'TCP')).toBe(false); // public subnet
    expect(flowAllowed(policies, endpoints.pgbouncer, { ip: '10.40.200.1' }, PORTS.postgres, 'TCP')).toBe(false); // VPC, no subnet
    expect(flowAllowed(policies, endpoints.pgbouncer, endpoints.aurora, 22, 'TCP')).toBe(false);
  });

  test('an internal ALB reaches the api-server from the private subnets; an internet-facing one from the public subnets', () => {
    expect(flowAllowed(policies, { ip: '10.40.0.10' }, endpoints['api-server'], PORTS.apiServer, 'TCP')).toBe(false);
    const open = render([environment('prod', { ingress: { host: 'airflow.example.com', scheme: 'internet-facing' } })]).filter((o) => o.obj.kind === 'NetworkPolicy').map((o) => o.obj);
    expect(flowAllowed(open, { ip: '10.40.0.10' }, endpoints['api-server'], PORTS.apiServer, 'TCP')).toBe(true);
    expect(flowAllowed(open, { ip: privateIp }, endpoints['api-server'], PORTS.apiServer, 'TCP')).toBe(false);
  });
});
