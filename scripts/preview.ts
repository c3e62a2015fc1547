import { ConfigError, environmentsFromArgs } from '../manifests-src/config';
import { formatPreview } from './preview/object-diff';
import { previewChanges, STALE_MESSAGE } from './preview/preview';

const USAGE = `usage: npm run preview -- [--ref <git-rev>] [--config <file>] [--stat]
  Renders dist/ and argocd/ in memory and lists the objects that differ from the committed ones
  (the files on disk, or the tree at --ref), grouped by environment and Argo CD Application.
  --stat   object lines only, no unified diff
  exit 0 = no difference, 1 = differences, 2 = error (bad configuration, unknown ref)`;

function argValue(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (!v || v.startsWith('--')) throw new Error(`${flag} needs a value`);
  return v;
}

/** `npm run preview`: exit 0 when nothing differs, 1 when something does, 2 on error. */
export function main(argv: string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  try {
    const ref = argValue(argv, '--ref');
    const envs = environmentsFromArgs(argv);
    const result = previewChanges(envs, { ref });
    console.log(`Preview: rendered from the ${argValue(argv, '--config') ? 'given' : 'committed'} config vs ${ref ? `git ${ref}` : 'the committed dist/ and argocd/'}`);
    console.log(formatPreview(result, { patches: !argv.includes('--stat') }));
    if (result.changes.length === 0) return 0;
    if (!ref) console.error(STALE_MESSAGE);
    return 1;
  } catch (e) {
    if (e instanceof ConfigError) console.error(e.message);
    else console.error(`preview failed: ${(e as Error).message.split('\n')[0]}\n${USAGE}`);
    return 2;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
