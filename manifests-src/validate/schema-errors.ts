import { formatPath, pointerSegments, valueAt, type PathSegment } from './field-path';

/** The parts of an ajv error object the compiled kubernetes-models validators produce. */
export interface AjvError {
  readonly instancePath: string;
  readonly schemaPath: string;
  readonly keyword: string;
  readonly params: Record<string, unknown>;
  readonly message?: string;
}

/** One schema violation, with the path of the offending field. */
export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * Turns ajv errors into one readable line per field. Branch errors of an anyOf/oneOf (e.g. int-or-string)
 * are folded into the union's own error: "must be integer or string".
 */
export function describeSchemaErrors(errors: readonly AjvError[], data: unknown): FieldProblem[] {
  const unions = new Set(errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.instancePath));
  const isBranch = (e: AjvError) => unions.has(e.instancePath) && /\/(anyOf|oneOf)\/\d+\//.test(e.schemaPath);
  const out: FieldProblem[] = [];
  for (const e of errors) {
    if (isBranch(e)) continue;
    const segments = pointerSegments(e.instancePath, data);
    if (e.keyword === 'required') {
      out.push({ path: formatPath([...segments, String(e.params.missingProperty)]), message: 'required field missing' });
      continue;
    }
    const value = valueAt(data, segments);
    const types = e.keyword === 'anyOf' || e.keyword === 'oneOf' ? branchTypes(errors, e.instancePath) : [];
    out.push({ path: formatPath(segments), message: messageFor(e, value, types) });
  }
  return dedupe(out);
}

function messageFor(e: AjvError, value: unknown, unionTypes: string[]): string {
  const got = `got ${show(value)}`;
  switch (e.keyword) {
    case 'type':
      return `must be ${String(e.params.type)}, ${got}`;
    case 'enum':
      return `must be one of ${(e.params.allowedValues as unknown[]).map((v) => String(v)).join(', ')}; ${got}`;
    case 'const':
      return `must be ${show(e.params.allowedValue)}; ${got}`;
    case 'format':
      return `must be a valid ${String(e.params.format)}; ${got}`;
    case 'pattern':
      return `must match ${String(e.params.pattern)}; ${got}`;
    case 'anyOf':
    case 'oneOf':
      return unionTypes.length > 0 ? `must be ${unionTypes.join(' or ')}, ${got}` : `${e.message ?? 'matches no allowed schema'}; ${got}`;
    default:
      return e.message ?? `${e.keyword} ${JSON.stringify(e.params)}`;
  }
}

function branchTypes(errors: readonly AjvError[], instancePath: string): string[] {
  const types = errors.filter((e) => e.instancePath === instancePath && e.keyword === 'type' && /\/(anyOf|oneOf)\/\d+\//.test(e.schemaPath));
  return [...new Set(types.map((e) => String(e.params.type)))];
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function dedupe(problems: FieldProblem[]): FieldProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\0${p.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/** Unknown-field paths as problems. */
export function describeUnknownFields(paths: readonly PathSegment[][]): FieldProblem[] {
  return paths.map((p) => ({ path: formatPath(p), message: 'unknown field' }));
}
