import { execFileSync } from 'node:child_process';

/** A value as Argo CD hands it to a health check's Lua (an object decoded from JSON). */
export type Lua = string | number | boolean | null | Lua[] | { [k: string]: Lua };

const literal = (v: Lua): string => {
  if (v === null) return 'nil';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return `{${v.map(literal).join(', ')}}`;
  return `{${Object.entries(v).map(([k, x]) => `[${JSON.stringify(k)}] = ${literal(x)}`).join(', ')}}`;
};

/**
 * Runs an argocd-cm health check with Lua 5.1 (the language of Argo CD's embedded interpreter) on `obj`, as Argo CD
 * does: the script sees the object as the global `obj` and returns `{status, message}`.
 */
export function runHealthLua(lua: string, obj: Record<string, Lua>): { status: string; message: string } {
  const script = `obj = ${literal(obj)}\nlocal hs = (function()\n${lua}\nend)()\nio.write(hs.status, "\\n", hs.message)`;
  const [status, message] = execFileSync('lua5.1', ['-'], { input: script, encoding: 'utf8' }).split('\n');
  return { status, message };
}
