import * as path from 'node:path';
import { CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** How a generated field is made (see functions/secret-fields). */
export type GeneratedKind = 'fernet' | 'token' | 'password';

export interface SecretFieldsProps {
  readonly secret: secretsmanager.ISecret;
  /** Non-secret fields (endpoints, ports) rewritten on every deploy. @default none */
  readonly set?: Record<string, string>;
  /** Secret fields generated once at deploy time and then kept. @default none */
  readonly generate?: Record<string, GeneratedKind>;
}

/**
 * Writes fields into a secret's JSON at deploy time. Exists because `generateSecretString` can produce
 * neither a Fernet key nor a value that depends on a resource created after the secret (the cache endpoint).
 */
export class SecretFields extends Construct {
  constructor(scope: Construct, id: string, props: SecretFieldsProps) {
    super(scope, id);
    const fn = SecretFields.handler(this);
    props.secret.grantRead(fn);
    props.secret.grantWrite(fn);
    new CustomResource(this, 'Resource', {
      serviceToken: fn.functionArn,
      resourceType: 'Custom::SecretFields',
      properties: { SecretId: props.secret.secretArn, Set: props.set ?? {}, Generate: props.generate ?? {} },
    });
  }

  /** One function per stack, shared by every SecretFields. */
  private static handler(scope: Construct): lambda.Function {
    const stack = Stack.of(scope);
    const id = 'SecretFieldsHandler';
    const existing = stack.node.tryFindChild(id) as lambda.Function | undefined;
    if (existing) return existing;
    return new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(path.join(__dirname, 'functions', 'secret-fields')),
      timeout: Duration.minutes(1),
      description: 'Writes generated and endpoint fields into Secrets Manager secrets',
      logGroup: new logs.LogGroup(stack, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }),
    });
  }
}
