import { podMutationPolicy } from '../node/pod-mutation-policy';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { POD_IDENTITY_AGENT_CIDRS, type EnvironmentConfig } from '../../manifests-src/config';
import { podIdentityAssociations } from '../../infra/assembly/cdk-out';
import { stackTemplate } from '../../local/stack-template';

/**
 * EKS Pod Identity, emulated with the rest of AWS (only AWS is emulated here). What EKS does for a pod whose
 * service account has an association: its admission webhook adds the credentials endpoint and a projected token
 * (audience pods.eks.amazonaws.com) — here a MutatingAdmissionPolicy of the local API server; the node agent
 * (169.254.170.23:80) trades the token for the role's credentials — here a server beside the AWS API emulator
 * that checks the token with a TokenReview and the association, and returns credentials the emulator accepts.
 * The associations are the CDK stack's (awsServiceAccounts). Not proved here: the real agent, webhook and IAM.
 */

export const AGENT_ADDRESS = POD_IDENTITY_AGENT_CIDRS[0].split('/')[0];
const AGENT_PORT = 80;
const CREDENTIALS_PATH = '/v1/credentials';
const TOKEN_AUDIENCE = 'pods.eks.amazonaws.com';
const TOKEN_DIR = '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount';
const TOKEN_FILE = 'eks-pod-identity-token';

/** namespace/serviceAccount of every association the CDK stack creates. */
export function associations(env: Pick<EnvironmentConfig, 'name'>): string[] {
  return podIdentityAssociations(stackTemplate(env)).map((a) => `${a.namespace}/${a.serviceAccount}`);
}

/** What the EKS webhook adds to a pod of an associated service account, as an admission policy. */
export function podIdentityPolicy(env: Pick<EnvironmentConfig, 'name' | 'namespace' | 'aws'>): object[] {
  const name = 'airflow-eks-local-pod-identity';
  const envVar = (n: string, v: string) => `Object.spec.containers.env{name: ${JSON.stringify(n)}, value: ${JSON.stringify(v)}}`;
  const vars = [
    envVar('AWS_CONTAINER_CREDENTIALS_FULL_URI', `http://${AGENT_ADDRESS}${CREDENTIALS_PATH}`),
    envVar('AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE', `${TOKEN_DIR}/${TOKEN_FILE}`),
    envVar('AWS_REGION', env.aws.region),
    envVar('AWS_DEFAULT_REGION', env.aws.region),
    envVar('AWS_STS_REGIONAL_ENDPOINTS', 'regional'),
  ];
  const containers = `Object{spec: Object.spec{
    containers: object.spec.containers.map(c, Object.spec.containers{name: c.name, env: [${vars.join(', ')}], volumeMounts: [Object.spec.containers.volumeMounts{name: "${TOKEN_FILE}", mountPath: "${TOKEN_DIR}", readOnly: true}]})
  }}`;
  // A projected volume's sources are an atomic list, which an apply configuration may not set: a JSON patch adds it.
  const volume = `Object.spec.volumes{name: "${TOKEN_FILE}", projected: Object.spec.volumes.projected{sources: [Object.spec.volumes.projected.sources{serviceAccountToken: Object.spec.volumes.projected.sources.serviceAccountToken{audience: "${TOKEN_AUDIENCE}", expirationSeconds: 86400, path: "${TOKEN_FILE}"}}]}}`;
  const volumes = `has(object.spec.volumes) ? [JSONPatch{op: "add", path: "/spec/volumes/-", value: ${volume}}] : [JSONPatch{op: "add", path: "/spec/volumes", value: [${volume}]}]`;
  return podMutationPolicy(name, {
    matchConditions: [{ name: 'associated-service-account', expression: `${JSON.stringify(associations(env))}.exists(a, a == request.namespace + "/" + object.spec.serviceAccountName)` }],
    mutations: [
      { patchType: 'JSONPatch', jsonPatch: { expression: volumes } },
      { patchType: 'ApplyConfiguration', applyConfiguration: { expression: containers } },
    ],
  });
}

export interface AgentOptions {
  /** Where the agent listens: the agent's link-local address, inside the VPC namespace. */
  readonly host: string;
  readonly apiServer: { host: string; port: number; caCert: string; tokenFile: string };
  readonly associations: readonly string[];
  readonly accountId: string;
  readonly log: (line: string) => void;
}

function tokenReview(o: AgentOptions, token: string): Promise<string | undefined> {
  const body = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: [TOKEN_AUDIENCE] } });
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: o.apiServer.host,
        port: o.apiServer.port,
        method: 'POST',
        path: '/apis/authentication.k8s.io/v1/tokenreviews',
        ca: fs.readFileSync(o.apiServer.caCert),
        headers: { authorization: `Bearer ${fs.readFileSync(o.apiServer.tokenFile, 'utf8').trim()}`, 'content-type': 'application/json' },
        timeout: 10_000,
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          const status = (JSON.parse(text) as { status?: { authenticated?: boolean; user?: { username?: string } } }).status;
          resolve(status?.authenticated ? status.user?.username : undefined);
        });
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('TokenReview timed out')));
    req.end(body);
  });
}

/** The agent's credentials endpoint (the container credentials provider's protocol the AWS SDKs speak). */
export function startPodIdentityAgent(o: AgentOptions): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const deny = (status: number, message: string): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ message }));
    if (req.method !== 'GET' || req.url !== CREDENTIALS_PATH) return void deny(404, 'not found');
    const token = req.headers.authorization ?? '';
    if (!token) return void deny(400, 'Authorization header (the service account token) is missing');
    tokenReview(o, token).then(
      (user) => {
        const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(user ?? '');
        if (!m) return void deny(401, 'the token is not a valid service account token for this audience');
        if (!o.associations.includes(`${m[1]}/${m[2]}`)) return void deny(403, `no Pod Identity association for ${m[1]}/${m[2]}`);
        const expiration = new Date(Date.now() + 6 * 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            AccessKeyId: `ASIA${crypto.randomBytes(8).toString('hex').toUpperCase()}`,
            SecretAccessKey: crypto.randomBytes(20).toString('base64'),
            Token: crypto.randomBytes(32).toString('base64'),
            AccountId: o.accountId,
            Expiration: expiration,
          }),
        );
      },
      (e: Error) => {
        o.log(`pod identity agent: TokenReview failed: ${e.message}`);
        deny(500, 'token review failed');
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(AGENT_PORT, o.host, () => resolve(server));
  });
}
