import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { TOOLS, type Finding, type Tool } from './finding';
import { globMatch } from './glob';

/** A pattern made only of wildcards would accept a check everywhere; entries must name what they accept. */
const narrowPattern = z
  .string()
  .min(1)
  .refine((p) => /[^*?/.]/.test(p), { message: 'must name something: a pattern of only wildcards is too broad' });

const AllowlistEntrySchema = z
  .object({
    tool: z.enum(TOOLS),
    check: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'a check or rule id such as CKV_K8S_43 or W3005'),
    files: z.array(narrowPattern).min(1).describe('Globs over repository-relative paths of the scanned files.'),
    resources: z.array(narrowPattern).min(1).describe('Globs over resource ids (`Kind.namespace.name`, `AWS::Type.LogicalId`).'),
    reason: z.string().trim().min(30, 'say why the finding is acceptable or what mitigates it'),
  })
  .strict();
export type AllowlistEntry = z.infer<typeof AllowlistEntrySchema>;

const AllowlistSchema = z.object({ entries: z.array(AllowlistEntrySchema) }).strict();

/** Parses allowlist YAML text; throws with the offending entry path when the text is invalid. */
export function parseAllowlist(text: string): AllowlistEntry[] {
  const result = AllowlistSchema.safeParse(parse(text));
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid security allowlist:\n${lines.join('\n')}`);
  }
  return result.data.entries;
}

export function loadAllowlist(file: string): AllowlistEntry[] {
  return parseAllowlist(readFileSync(file, 'utf8'));
}

/** A human-readable label for an entry in reports. */
export function describeEntry(e: AllowlistEntry, index: number): string {
  return `#${index + 1} ${e.tool} ${e.check}`;
}

export function entryMatches(e: AllowlistEntry, f: Finding): boolean {
  return (
    e.tool === f.tool &&
    e.check === f.checkId &&
    e.files.some((p) => globMatch(p, f.file)) &&
    e.resources.some((p) => globMatch(p, f.resource))
  );
}

/** One allowlist entry, or one of its patterns, that accepted nothing in a scan that covered its files. */
export interface StaleEntry {
  index: number;
  entry: AllowlistEntry;
  /** Patterns of the entry that matched no accepted finding; all of them when the entry matched nothing. */
  unusedPatterns: string[];
}

export interface AllowlistResult {
  unexpected: Finding[];
  allowlisted: Finding[];
  stale: StaleEntry[];
}

/** A folder or file a tool scanned; entries whose files lie outside every scanned root are not judged stale. */
export interface ScannedRoot {
  tool: Tool;
  root: string;
}

function coveredBy(e: AllowlistEntry, roots: ScannedRoot[]): boolean {
  return roots.some((r) => r.tool === e.tool && e.files.some((p) => p === r.root || p.startsWith(`${r.root}/`)));
}

/**
 * Splits findings into accepted and unexpected, and reports entries that no longer accept anything so the
 * allowlist cannot silently outlive the problems it documents.
 */
export function applyAllowlist(findings: Finding[], entries: AllowlistEntry[], roots: ScannedRoot[]): AllowlistResult {
  const unexpected: Finding[] = [];
  const allowlisted: Finding[] = [];
  const used = entries.map(() => [] as Finding[]);
  for (const f of findings) {
    const hits = entries.flatMap((e, i) => (entryMatches(e, f) ? [i] : []));
    if (hits.length === 0) unexpected.push(f);
    else allowlisted.push(f);
    for (const i of hits) used[i].push(f);
  }
  const stale: StaleEntry[] = [];
  entries.forEach((entry, index) => {
    if (!coveredBy(entry, roots)) return;
    const accepted = used[index];
    const unusedPatterns = [
      ...entry.files.filter((p) => !accepted.some((f) => globMatch(p, f.file))),
      ...entry.resources.filter((p) => !accepted.some((f) => globMatch(p, f.resource))),
    ];
    if (unusedPatterns.length > 0) stale.push({ index, entry, unusedPatterns });
  });
  return { unexpected, allowlisted, stale };
}
