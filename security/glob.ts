/**
 * A tiny glob matcher for allowlist patterns. Written here (not node:path.matchesGlob) because that API is
 * experimental on Node 20 and because resource ids such as `Deployment.airflow.airflow-worker` are not paths.
 *
 *   `*`  any run of characters except `/`
 *   `**` any run of characters, `/` included
 *   `?`  one character except `/`
 * Every other character matches itself; a pattern must match the whole string.
 */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (ch === '*') {
      source += '[^/]*';
    } else if (ch === '?') {
      source += '[^/]';
    } else {
      source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

/** True when `value` matches `pattern` (see globToRegExp for the syntax). */
export function globMatch(pattern: string, value: string): boolean {
  return globToRegExp(pattern).test(value);
}
