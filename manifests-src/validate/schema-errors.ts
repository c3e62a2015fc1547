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
 * Turns ajv errors into one readable line per field. The branches of an anyOf/oneOf (int-or-string,
 * quantity) fail in their own compiled functions at the same path; they are folded into the union's
 * line: "must be integer or string".
 */
export function describeSchemaErrors(errors: readonly AjvError[], data: unknown): FieldProblem[] {
  const isUnion = (e: AjvError) => e.keyword === 'anyOf' || e.keyword === 'oneOf';
  const unions = new Set(errors.filter(isUnion).map((e) => e.instancePath));
  const out: FieldProblem[] = [];
  for (const e of errors) {
    if (unions.has(e.instancePath) && !isUnion(e) && e.keyword !== 'required') continue; // a branch: folded below
    const segments = pointerSegments(e.instancePath, data);
    if (e.keyword === 'required') {
      out.push({ path: formatPath([...segments, String(e.params.missingProperty)]), message: 'required field missing' });
      continue;
    }
    const branches = isUnion(e) ? branchDescriptions(errors, e.instancePath) : [];
    out.push({ path: formatPath(segments), message: messageFor(e, valueAt(data, segments), branches) });
  }
  return dedupe(out);
}

function messageFor(e: AjvError, value: unknown, branches: readonly string[]): string {
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
      return branches.length > 0 ? `must be ${branches.join(' or ')}, ${got}` : `${e.message ?? 'matches no allowed schema'}; ${got}`;
    default:
      return e.message ?? `${e.keyword} ${JSON.stringify(e.params)}`;
  }
}

/** What each failed branch of a union wanted: a type, or a format such as quantity. */
function branchDescriptions(errors: readonly AjvError[], instancePath: string): string[] {
  const wanted = errors
    .filter((e) => e.instancePath === instancePath)
    .map((e) => (e.keyword === 'type' ? String(e.params.type) : e.keyword === 'format' ? `a valid ${String(e.params.format)}` : undefined))
    .filter((d): d is string => d !== undefined);
  return [...new Set(wanted)];
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
