import { DeclaredFields } from './declared-fields';
import { findModel } from './model-registry';
import { describeSchemaErrors, describeUnknownFields, type AjvError, type FieldProblem } from './schema-errors';
import { trackAccess } from './unknown-fields';

const declarations = new DeclaredFields();

/**
 * Validates one Kubernetes object against the schema of its apiVersion + kind (Kubernetes OpenAPI or CRD),
 * plus the unknown-field check. A kind no installed schema defines is a problem, never a silent pass.
 */
export async function validateObject(obj: unknown): Promise<FieldProblem[]> {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return [{ path: '(root)', message: 'not a Kubernetes object (expected a mapping)' }];
  const { apiVersion, kind } = obj as { apiVersion?: unknown; kind?: unknown };
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return [{ path: '(root)', message: 'apiVersion and kind are required strings' }];
  const model = await findModel(apiVersion, kind);
  if (!model) return [{ path: 'kind', message: `unknown kind ${kind} (apiVersion ${apiVersion}): no schema for it, so it cannot be validated` }];

  const tracker = trackAccess(obj);
  let problems: FieldProblem[] = [];
  try {
    model.cls.prototype.validate.call(tracker.proxy);
  } catch (e) {
    const errors = (e as { errors?: AjvError[] }).errors;
    if (!Array.isArray(errors)) throw e;
    problems = describeSchemaErrors(errors, obj);
  }
  // A field the validator never read is unknown only if the type declarations do not declare it either.
  const unknown = tracker.unknownFields().filter((p) => declarations.check(model.specifier, kind, p) === 'undeclared');
  return [...problems, ...describeUnknownFields(unknown)];
}
