/**
 * Reads what a synthesized stack in cdk.out/ will create, the way CloudFormation and the stack's own handlers will:
 * Secrets Manager secrets with every key they end up holding, the Kubernetes objects the kubectl handler applies,
 * Pod Identity associations and the IAM statements of their roles, named log groups. The seam test and the local
 * cluster's bootstrap read the product through these functions instead of keeping lists of their own.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
  readonly DependsOn?: string | string[];
  readonly DeletionPolicy?: string;
}
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}

/** A stack's template as `npm run synth:infra` wrote it. */
export function readTemplate(cdkOut: string, stack: string): CfnTemplate {
  const file = path.join(cdkOut, `${stack}.template.json`);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run \`npm run synth:infra\``);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as CfnTemplate;
}

/** `{Ref: X}` / `{Fn::GetAtt: [X, attr]}` -> `X` / `X.attr`; anything else undefined. */
export function tokenOf(v: unknown): string | undefined {
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.Ref === 'string') return o.Ref;
    const att = o['Fn::GetAtt'];
    if (Array.isArray(att)) return `${att[0]}.${att[1]}`;
  }
  return undefined;
}

/**
 * Resolves the CloudFormation intrinsics a template uses in strings (Ref, Fn::GetAtt, Fn::Join, pseudo parameters)
 * through `resolve` (called with `X` or `X.attr`); throws on an intrinsic it does not know, naming it.
 */
export function resolveValue(v: unknown, resolve: (token: string) => string): unknown {
  if (Array.isArray(v)) return v.map((x) => resolveValue(x, resolve));
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const token = tokenOf(o);
    if (token) return resolve(token);
    if (Array.isArray(o['Fn::Join'])) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map((p) => String(resolveValue(p, resolve))).join(sep);
    }
    const intrinsic = Object.keys(o).find((k) => k.startsWith('Fn::'));
    if (intrinsic) throw new Error(`cannot resolve ${intrinsic} here: ${JSON.stringify(o).slice(0, 200)}`);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolveValue(x, resolve)]));
  }
  return v;
}

/** The keys a Secrets Manager secret holds once the stack is deployed, and where each value comes from. */
export interface CreatedSecret {
  readonly logicalId: string;
  /** The fixed name (the contract's); undefined when CloudFormation names it. */
  readonly name?: string;
  /** Constant or token-valued keys of the generated JSON (GenerateSecretString.SecretStringTemplate). */
  readonly template: Record<string, unknown>;
  /** The key CloudFormation generates, with its rules. */
  readonly generated?: { readonly key: string; readonly length: number; readonly excludeCharacters: string; readonly excludePunctuation: boolean };
  /** Keys an RDS secret attachment adds (host, port, engine, dbClusterIdentifier). */
  readonly attached: readonly string[];
  /** Keys the SecretFields custom resource sets on every deploy (values may be tokens). */
  readonly set: Record<string, unknown>;
  /** Keys the SecretFields custom resource generates once, with the generator kind. */
  readonly generate: Record<string, string>;
  /** Keys the stack's own rotation function writes when the schedule is created (its exported `FIELDS`). */
  readonly rotated: readonly string[];
  /** Every key, whatever its origin. */
  readonly keys: readonly string[];
  /** The key the secret is encrypted with (logical id of the KMS key), if any. */
  readonly kmsKey?: string;
}

/** Keys `AWS::SecretsManager::SecretTargetAttachment` writes for an Aurora/RDS cluster. */
export const RDS_ATTACHMENT_KEYS = ['host', 'port', 'engine', 'dbClusterIdentifier'] as const;

function parseTemplateString(v: unknown): Record<string, unknown> {
  if (typeof v === 'string') return JSON.parse(v) as Record<string, unknown>;
  // A template with tokens: a Fn::Join of JSON text around them. Join with placeholders, parse, then put the tokens back.
  if (v && typeof v === 'object' && Array.isArray((v as Record<string, unknown>)['Fn::Join'])) {
    const tokens: unknown[] = [];
    const text = resolveValue(v, (t) => {
      tokens.push({ token: t });
      return `@@${tokens.length - 1}@@`;
    }) as string;
    const parsed = JSON.parse(text) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(parsed).map(([k, x]) => [k, typeof x === 'string' && /^@@\d+@@$/.test(x) ? tokens[Number(x.slice(2, -2))] : x]));
  }
  return {};
}

export function createdSecrets(t: CfnTemplate, code?: FunctionCode): CreatedSecret[] {
  const entries = Object.entries(t.Resources);
  const rotations = rotationFunctions(t);
  return entries
    .filter(([, r]) => r.Type === 'AWS::SecretsManager::Secret')
    .map(([id, r]) => {
      const p = r.Properties ?? {};
      const g = p.GenerateSecretString ?? {};
      const template = g.SecretStringTemplate !== undefined ? parseTemplateString(g.SecretStringTemplate) : {};
      const generated = g.GenerateStringKey ? { key: String(g.GenerateStringKey), length: Number(g.PasswordLength ?? 32), excludeCharacters: String(g.ExcludeCharacters ?? ''), excludePunctuation: g.ExcludePunctuation === true } : undefined;
      const refersHere = (v: unknown) => tokenOf(v) === id;
      const attached = entries.some(([, a]) => a.Type === 'AWS::SecretsManager::SecretTargetAttachment' && refersHere(a.Properties?.SecretId)) ? [...RDS_ATTACHMENT_KEYS] : [];
      const fields = entries.filter(([, f]) => f.Type === 'Custom::SecretFields' && refersHere(f.Properties?.SecretId)).map(([, f]) => f.Properties ?? {});
      const set = Object.assign({}, ...fields.map((f) => f.Set ?? {})) as Record<string, unknown>;
      const generate = Object.assign({}, ...fields.map((f) => f.Generate ?? {})) as Record<string, string>;
      const rotation = rotations.find((r) => r.secret === id && r.immediately);
      const rotated = rotation && code ? Object.values(code(rotation.fn).FIELDS ?? {}).map(String) : [];
      const keys = [...new Set([...Object.keys(template), ...(generated ? [generated.key] : []), ...attached, ...Object.keys(set), ...Object.keys(generate), ...rotated])];
      return { logicalId: id, name: typeof p.Name === 'string' ? p.Name : undefined, template, generated, attached, set, generate, rotated, keys, kmsKey: tokenOf(p.KmsKeyId)?.split('.')[0] };
    });
}

/** A rotation schedule that runs one of the stack's own functions (not a hosted rotation). */
export interface RotationFunction {
  /** Logical ids of the secret and of the Lambda function. */
  readonly secret: string;
  readonly fn: string;
  /** Whether Secrets Manager rotates as soon as the schedule is created (CloudFormation's default). */
  readonly immediately: boolean;
}

export function rotationFunctions(t: CfnTemplate): RotationFunction[] {
  return Object.values(t.Resources)
    .filter((r) => r.Type === 'AWS::SecretsManager::RotationSchedule' && r.Properties?.RotationLambdaARN)
    .map((r) => ({ secret: tokenOf(r.Properties!.SecretId)!, fn: tokenOf(r.Properties!.RotationLambdaARN)!.split('.')[0], immediately: r.Properties!.RotateImmediatelyOnUpdate !== false }));
}

/** The exports of a Lambda function's code as synthesized, by the function's logical id. */
export type FunctionCode = (functionLogicalId: string) => Record<string, any>;

/** Loads a function's code from cdk.out/ (what Lambda runs), for `createdSecrets` and the local bootstrap. */
export function functionCode(cdkOut: string, stack: string, t: CfnTemplate): FunctionCode {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (id) => require(bundledFunctionFile(cdkOut, stack, t, new RegExp(`^${id}$`))) as Record<string, any>;
}

/** The Kubernetes objects the stack's kubectl handler applies (`cluster.addManifest`), in template order. */
export function kubernetesManifests(t: CfnTemplate, resolve: (token: string) => string = (x) => `\${${x}}`): Array<{ logicalId: string; objects: Record<string, any>[] }> {
  return Object.entries(t.Resources)
    .filter(([, r]) => r.Type === 'Custom::AWSCDK-EKS-KubernetesResource')
    .map(([id, r]) => ({ logicalId: id, objects: JSON.parse(String(resolveValue(r.Properties?.Manifest, resolve))) as Record<string, any>[] }));
}

/** The label aws-eks puts on every object it applies, to prune what a later manifest no longer has. */
export function withoutPruneLabel(o: Record<string, any>): Record<string, any> {
  const labels = Object.fromEntries(Object.entries(o.metadata?.labels ?? {}).filter(([k]) => !k.startsWith('aws.cdk.eks/prune-')));
  const metadata = { ...o.metadata };
  if (Object.keys(labels).length) metadata.labels = labels;
  else delete metadata.labels;
  return { ...o, metadata };
}

export interface Association {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Logical id of the IAM role. */
  readonly role: string;
}

/** EKS Pod Identity associations, from the template's own resources and from managed add-ons' configuration. */
export function podIdentityAssociations(t: CfnTemplate): Association[] {
  const out: Association[] = [];
  for (const r of Object.values(t.Resources)) {
    if (r.Type === 'AWS::EKS::PodIdentityAssociation') out.push({ namespace: r.Properties!.Namespace, serviceAccount: r.Properties!.ServiceAccount, role: tokenOf(r.Properties!.RoleArn)!.split('.')[0] });
  }
  return out;
}

export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, unknown>;
}

/** Every statement of the inline and attached customer policies of one role (logical id). */
export function roleStatements(t: CfnTemplate, role: string): Statement[] {
  const out: Statement[] = [];
  for (const r of Object.values(t.Resources)) {
    if (r.Type !== 'AWS::IAM::Policy' && r.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const roles = (r.Properties?.Roles ?? []) as unknown[];
    if (!roles.some((x) => tokenOf(x) === role)) continue;
    const s = r.Properties?.PolicyDocument?.Statement ?? [];
    out.push(...(Array.isArray(s) ? s : [s]));
  }
  for (const p of t.Resources[role]?.Properties?.Policies ?? []) out.push(...(p.PolicyDocument?.Statement ?? []));
  return out;
}

/** Whether one of `statements` allows `action` on something that matches `resource` (tokens compared as tokens). */
export function allows(statements: readonly Statement[], action: string, resource: (r: unknown) => boolean): boolean {
  const list = (v: unknown) => (Array.isArray(v) ? v : [v]);
  const actionMatches = (a: string) => a === action || (a.endsWith('*') && action.startsWith(a.slice(0, -1)));
  return statements.some((s) => s.Effect === 'Allow' && list(s.Action).some((a) => actionMatches(String(a))) && list(s.Resource).some(resource));
}

/** Named log groups: name -> logical id. */
export function logGroups(t: CfnTemplate): Map<string, string> {
  return new Map(Object.entries(t.Resources).flatMap(([id, r]) => (r.Type === 'AWS::Logs::LogGroup' && typeof r.Properties?.LogGroupName === 'string' ? [[r.Properties.LogGroupName as string, id] as [string, string]] : [])));
}

/**
 * The code a Lambda function of the stack ships, as the stack publishes it: the function's S3 key in the template
 * names a file asset of the stack's asset manifest, whose source folder in cdk.out/ holds the bundled handler.
 * Tests and the local runner run this file, so they exercise what is uploaded, not the sources it was bundled from.
 */
export function bundledFunctionFile(cdkOut: string, stack: string, template: CfnTemplate, logicalId: RegExp, file = 'index.js'): string {
  const fns = Object.entries(template.Resources).filter(([id, r]) => r.Type === 'AWS::Lambda::Function' && logicalId.test(id));
  if (fns.length !== 1) throw new Error(`${stack}: ${fns.length} Lambda functions match ${logicalId}, expected 1`);
  const hash = String(fns[0][1].Properties?.Code?.S3Key ?? '').replace(/\.zip$/, '');
  const manifest = path.join(cdkOut, `${stack}.assets.json`);
  const assets = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { files: Record<string, { source: { path: string } }> };
  const source = assets.files[hash]?.source.path;
  if (!source) throw new Error(`${fns[0][0]}: asset ${hash || '(no S3Key)'} is not in ${manifest}`);
  return path.join(cdkOut, source, file);
}
