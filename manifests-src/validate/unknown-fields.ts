import type { PathSegment } from './field-path';

/**
 * Catches fields the schema does not declare (`spec.replicaz`), which the kubernetes-models validators accept.
 *
 * Those validators are ajv code compiled from the OpenAPI/CRD schemas; the JSON schema itself is not shipped.
 * What the compiled code does is observable, though: for every property declared in `properties` it reads
 * `data.<name>` (even when absent), and for a map (`additionalProperties: <schema>`) it reads every key in a
 * `for…in` loop. So the document is wrapped in proxies that record which keys of each object were read.
 * After validation, any own key of an object that the validator looked into, but that it never read, is an
 * unknown-field candidate (DeclaredFields then double-checks it against the type declarations).
 *
 * Left open on purpose: objects whose schema declares no properties at all, which is how
 * `x-kubernetes-preserve-unknown-fields` and free-form `type: object` compile (nothing is read), and
 * everything below them, which the validator never reaches. Merely listing the keys (`Object.keys` for
 * min/maxProperties, as in the ExternalSecrets provider) does not open an object: only reads count.
 */
export interface AccessTracker {
  /** The document wrapped in recording proxies: pass this to the validator. */
  readonly proxy: unknown;
  /** Paths of fields the validator never looked up in a strict object; call after validation. */
  unknownFields(): PathSegment[][];
}

interface ObjectRecord {
  readonly path: PathSegment[];
  readonly target: Record<string, unknown>;
  readonly read: Set<string>;
}

export function trackAccess(document: unknown): AccessTracker {
  const records: ObjectRecord[] = [];

  const wrap = (value: unknown, path: PathSegment[]): unknown => {
    if (value === null || typeof value !== 'object') return value;
    const isArray = Array.isArray(value);
    const children = new Map<string, unknown>();
    for (const [k, v] of Object.entries(value)) children.set(k, wrap(v, [...path, isArray ? Number(k) : k]));
    const record: ObjectRecord = { path, target: value as Record<string, unknown>, read: new Set() };
    if (!isArray) records.push(record);
    return new Proxy(value, {
      get(target, key, receiver) {
        if (typeof key !== 'string') return Reflect.get(target, key, receiver);
        record.read.add(key);
        return children.has(key) ? children.get(key) : Reflect.get(target, key, receiver);
      },
      has(target, key) {
        if (typeof key === 'string') record.read.add(key);
        return Reflect.has(target, key);
      },
    });
  };

  const proxy = wrap(document, []);
  return {
    proxy,
    unknownFields() {
      const out: PathSegment[][] = [];
      for (const r of records) {
        if (r.read.size === 0) continue;
        for (const key of Object.keys(r.target)) if (!r.read.has(key)) out.push([...r.path, key]);
      }
      return out;
    },
  };
}
