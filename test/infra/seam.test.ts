/**
 * The seam between the two halves: what dist/ and argocd/ read, checked against what the synthesized stack in
 * cdk.out/ creates and grants (or what the deploy preflight makes the user create). Walks both artifacts as they
 * ship; the contract (manifests-src/config/contract.ts) is only used to name what is expected, never as the answer.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { COMPONENTS, SERVICE_ACCOUNTS, loadEnvironments, type EnvironmentConfig } from '../../manifests-src/config';
import { parseManifestFiles, type ManifestObject } from '../../manifests-src/gitops/manifest-objects';
import { readTree } from '../../manifests-src/validate/drift';
import { allows, createdSecrets, functionCode, kubernetesManifests, logGroups, podIdentityAssociations, readTemplate, roleStatements, tokenOf, withoutPruneLabel, type CfnTemplate } from '../../infra/assembly/cdk-out';
import { stackName } from '../../infra/lib/airflow-eks-stack';
import { operatorSecrets } from '../../infra/deploy/operator-secrets';
import { committedSynth } from './committed-synth';

const ROOT = path.resolve(__dirname, '..', '..');
const envs = loadEnvironments();
committedSynth(); // throws when cdk.out/ is not the synth of this working tree

function distObjects(env: EnvironmentConfig): ManifestObject[] {
  const tree = readTree(path.join(ROOT, 'dist', env.name));
  return parseManifestFiles(new Map([...tree].map(([f, text]) => [`${env.name}/${f}`, text]))).map((p) => p.obj);
}

/** Secrets the preflight makes the user create before a deploy (the list its secret checks use), with their keys. */
function userSecrets(env: EnvironmentConfig): Map<string, readonly string[]> {
  return new Map(operatorSecrets(env).map((o) => [o.name, o.keys]));
}

/** Every Secrets Manager name and key an ExternalSecret reads, and the store it reads through. */
function externalSecretReads(objects: ManifestObject[]): Array<{ es: string; store: string; key: string; properties: string[] }> {
  return objects
    .filter((o) => o.kind === 'ExternalSecret')
    .flatMap((o) => {
      const store = String(o.spec.secretStoreRef.name);
      const templateText = JSON.stringify(o.spec.target?.template ?? {});
      // Keys a template reads from a dataFrom extract: `{{ .key }}` and `{{ .key | filter }}`.
      const templated = [...templateText.matchAll(/\{\{ *\.([A-Za-z0-9_]+)/g)].map((m) => m[1]);
      const fromData = (o.spec.data ?? []).map((d: any) => ({ es: o.metadata.name, store, key: String(d.remoteRef.key), properties: d.remoteRef.property ? [String(d.remoteRef.property)] : [] }));
      const fromExtract = (o.spec.dataFrom ?? []).map((d: any) => ({ es: o.metadata.name, store, key: String(d.extract.key), properties: templated }));
      return [...fromData, ...fromExtract];
    });
}

/** ARN-pattern or token match of an IAM resource against a secret of the template (or a user secret by name). */
function grantsSecret(resource: unknown, secret: { logicalId?: string; name: string }): boolean {
  if (secret.logicalId && tokenOf(resource) === secret.logicalId) return true;
  const text = JSON.stringify(resource);
  return text.includes(`secret:${secret.name}-??????`);
}

describe.each(envs.map((e) => [e.name, e] as const))('%s', (_name, env) => {
  const t: CfnTemplate = readTemplate(path.join(ROOT, 'cdk.out'), stackName(env));
  const objects = distObjects(env);
  // Keys a rotation function writes come from its code as synthesized (what Lambda runs).
  const created = createdSecrets(t, functionCode(path.join(ROOT, 'cdk.out'), stackName(env), t));
  const users = userSecrets(env);
  const associations = podIdentityAssociations(t);
  const esAssociation = associations.find((a) => a.serviceAccount === SERVICE_ACCOUNTS.externalSecrets.name && a.namespace === SERVICE_ACCOUNTS.externalSecrets.namespace);

  test('every secret dist/ reads is created by the stack or required by the preflight, with every key it reads', () => {
    const problems: string[] = [];
    for (const r of externalSecretReads(objects)) {
      const mine = created.find((s) => s.name === r.key);
      const keys = mine ? mine.keys : users.get(r.key);
      if (!keys) {
        problems.push(`${r.es} reads ${r.key}: the stack does not create it and the preflight does not ask for it`);
        continue;
      }
      for (const p of r.properties) if (!keys.includes(p)) problems.push(`${r.es} reads key "${p}" of ${r.key}, which holds only ${keys.join(', ')}`);
    }
    expect(problems).toEqual([]);
  });

  test('External Secrets may read (and decrypt) every secret dist/ reads, and never the Aurora master secret', () => {
    expect(esAssociation).toBeDefined();
    const statements = roleStatements(t, esAssociation!.role);
    const problems: string[] = [];
    for (const r of externalSecretReads(objects)) {
      const mine = created.find((s) => s.name === r.key);
      const target = { logicalId: mine?.logicalId, name: r.key };
      if (!allows(statements, 'secretsmanager:GetSecretValue', (res) => grantsSecret(res, target))) problems.push(`no GetSecretValue on ${r.key}`);
      if (mine?.kmsKey && !allows(statements, 'kms:Decrypt', (res) => tokenOf(res)?.split('.')[0] === mine.kmsKey)) problems.push(`no kms:Decrypt with the key of ${r.key}`);
    }
    const master = created.find((s) => s.attached.length > 0);
    expect(master).toBeDefined();
    if (allows(statements, 'secretsmanager:GetSecretValue', (res) => grantsSecret(res, { logicalId: master!.logicalId, name: master!.name ?? '' }))) problems.push('External Secrets may read the Aurora master secret');
    expect(problems).toEqual([]);
  });

  test('the SecretStores of dist/ name the stack\'s region and authenticate as a service account that has a Pod Identity association', () => {
    const stores = objects.filter((o) => o.kind === 'ClusterSecretStore' || o.kind === 'SecretStore');
    expect(stores.length).toBeGreaterThan(0);
    for (const s of stores) {
      expect(s.spec.provider.aws.region).toBe(env.aws.region);
      // No auth block: the controller's own credentials (its Pod Identity association).
      expect(s.spec.provider.aws.auth).toBeUndefined();
    }
    expect(esAssociation).toBeDefined();
  });

  test('each Pod Identity association names a service account that exists: in dist/, or made by a release or add-on of the stack', () => {
    const inDist = new Set(objects.filter((o) => o.kind === 'ServiceAccount').map((o) => `${o.metadata.namespace}/${o.metadata.name}`));
    const releases = Object.values(t.Resources).filter((r) => r.Type === 'Custom::AWSCDK-EKS-HelmChart');
    // A release in the association's namespace whose values name the service account.
    const byRelease = (a: { namespace: string; serviceAccount: string }) => releases.some((r) => r.Properties!.Namespace === a.namespace && JSON.stringify(r.Properties!.Values).includes(`\\"name\\":\\"${a.serviceAccount}\\"`));
    const missing = associations.filter((a) => !inDist.has(`${a.namespace}/${a.serviceAccount}`) && !byRelease(a)).map((a) => `${a.namespace}/${a.serviceAccount}`);
    expect(missing).toEqual([]);
  });

  test('every Airflow pod that ships task logs to CloudWatch has a role that may write (and the api-server read) that log group; pods without one are declared', () => {
    const groups = logGroups(t);
    const problems: string[] = [];
    const pods = objects.filter((o) => ['Deployment', 'StatefulSet', 'Job', 'DaemonSet'].includes(o.kind));
    const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'airflow-config') as any;
    for (const w of pods) {
      const spec = w.spec.template.spec;
      const env = (spec.containers ?? []).flatMap((c: any) => c.env ?? []);
      const fromConfig = (spec.containers ?? []).some((c: any) => (c.envFrom ?? []).some((e: any) => e.configMapRef?.name === 'airflow-config'));
      const setting = (k: string) => env.find((e: any) => e.name === k)?.value ?? (fromConfig ? config?.data?.[k] : undefined);
      const folder = setting('AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER');
      if (setting('AIRFLOW__LOGGING__REMOTE_LOGGING') !== 'True' || !String(folder).startsWith('cloudwatch://')) continue;
      const group = /:log-group:(.+)$/.exec(String(folder))?.[1];
      const groupId = group ? groups.get(group) : undefined;
      if (!groupId) {
        problems.push(`${w.metadata.name} ships to log group ${group}, which the stack does not create`);
        continue;
      }
      const sa = spec.serviceAccountName;
      const a = associations.find((x) => x.namespace === w.metadata.namespace && x.serviceAccount === sa);
      const declared = Object.values(COMPONENTS).find((c) => c.serviceAccount === sa);
      if (!a) {
        if (declared?.aws !== false) problems.push(`${w.metadata.name} (service account ${sa}) ships logs but has no Pod Identity association and is not declared without AWS access`);
        continue;
      }
      const statements = roleStatements(t, a.role);
      const onGroup = (res: unknown) => JSON.stringify(res).includes(groupId);
      if (!allows(statements, 'logs:PutLogEvents', onGroup)) problems.push(`${sa} may not write ${group}`);
      if (sa === COMPONENTS['api-server'].serviceAccount && !allows(statements, 'logs:GetLogEvents', onGroup)) problems.push(`${sa} may not read ${group}`);
    }
    expect(problems).toEqual([]);
  });

  test('FluentBit writes to a log group the stack creates, with a role that may write it', () => {
    const conf = objects.filter((o) => o.kind === 'ConfigMap').map((o) => JSON.stringify((o as any).data ?? {})).join('\n');
    const names = [...conf.matchAll(/log_group_name +([^\\\s]+)/g)].map((m) => m[1]);
    expect(names.length).toBeGreaterThan(0);
    const a = associations.find((x) => x.serviceAccount === SERVICE_ACCOUNTS.fluentBit.name && x.namespace === SERVICE_ACCOUNTS.fluentBit.namespace);
    expect(a).toBeDefined();
    for (const n of names) {
      const id = logGroups(t).get(n);
      expect({ n, created: !!id }).toEqual({ n, created: true });
      expect(allows(roleStatements(t, a!.role), 'logs:PutLogEvents', (res) => JSON.stringify(res).includes(id!))).toBe(true);
    }
  });

  test('the root Application the stack applies is the committed argocd/<env>/root.yaml, object for object', () => {
    const fromStack = kubernetesManifests(t)
      .flatMap((m) => m.objects)
      .filter((o) => o.kind === 'Application')
      .map(withoutPruneLabel);
    const committed = parseAllDocuments(fs.readFileSync(path.join(ROOT, 'argocd', env.name, 'root.yaml'), 'utf8')).map((d) => d.toJS()).filter(Boolean);
    expect(fromStack).toEqual(committed);
    // It syncs the apps folder, which must not hold the root itself (Argo CD would then manage its own parent).
    const appsDir = path.join(ROOT, fromStack[0].spec.source.path);
    const apps = fs.readdirSync(appsDir).flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(appsDir, f), 'utf8')).map((d) => d.toJS()));
    expect(apps.filter((o) => o?.kind === 'Application').map((o) => o.metadata.name)).not.toContain(fromStack[0].metadata.name);
  });
});
