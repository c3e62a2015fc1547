import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Finds references in markdown that point at nothing: relative links (and their #anchors), repository paths in
 * code (`infra/lib/charts.ts`, `bash docker/mirror.sh`) and `npm run X` commands. Docs rot silently otherwise.
 */
export interface DocContext {
  /** Repository root. */
  readonly root: string;
  /** package.json "scripts" names. */
  readonly npmScripts: readonly string[];
}

/** Folders created at run time (never committed): a path under them cannot be checked against the tree. */
const RUNTIME_DIRS = new Set(['cdk.out', 'test-artifacts', '.state', '.cache', '.venv', 'node_modules']);

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = !fenced && /^#{1,6} (.+)$/.exec(line);
    if (m) out.add(anchorOf(m[1]));
  }
  return out;
}

/** Every code text of a document: inline spans and the lines of fenced blocks. */
function codeTexts(markdown: string): string[] {
  const out: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) { fenced = !fenced; continue; }
    if (fenced) out.push(line);
    else for (const m of line.matchAll(/`([^`]+)`/g)) out.push(m[1]);
  }
  return out;
}

/** A token that names a path in this repository: its first segment is a top-level entry, no placeholders. */
function repoPath(token: string, topLevel: ReadonlySet<string>): string | undefined {
  const t = token.replace(/^[(["']+|[)\]"',:;.]+$/g, '');
  if (!t.includes('/') || /[<>*${}=?]|:\/\//.test(t)) return undefined;
  const first = t.replace(/^\.\//, '').split('/')[0];
  return topLevel.has(first) && !RUNTIME_DIRS.has(first) ? t.replace(/^\.\//, '') : undefined;
}

/** Problems of one markdown file, each naming the file and the reference; empty when all resolve. */
export function brokenReferences(file: string, ctx: DocContext): string[] {
  const text = fs.readFileSync(path.join(ctx.root, file), 'utf8');
  const problems: string[] = [];
  const topLevel = new Set(fs.readdirSync(ctx.root));
  const prose = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  for (const [, target] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/.test(target)) continue;
    const [rel, anchor] = target.split('#');
    const abs = rel ? path.resolve(path.dirname(path.join(ctx.root, file)), rel) : path.join(ctx.root, file);
    if (!fs.existsSync(abs)) problems.push(`${file}: link to missing ${target}`);
    else if (anchor && abs.endsWith('.md') && !anchors(fs.readFileSync(abs, 'utf8')).has(anchor)) problems.push(`${file}: link to missing heading ${target}`);
  }
  for (const code of codeTexts(text)) {
    for (const m of code.matchAll(/npm run ([\w:-]+)/g)) if (!ctx.npmScripts.includes(m[1])) problems.push(`${file}: \`npm run ${m[1]}\` is not a package.json script`);
    for (const token of code.split(/\s+/)) {
      const p = repoPath(token, topLevel);
      if (p && !fs.existsSync(path.join(ctx.root, p))) problems.push(`${file}: path ${p} does not exist`);
    }
  }
  return [...new Set(problems)];
}
