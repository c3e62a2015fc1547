import { formatProblem, formatSummary, validateDirs } from './validate-dirs';

/**
 * `npm run validate` (= `tsx manifests-src/validate/cli.ts dist argocd`): schema + unknown-field check of
 * every object. Exit 0 when clean, 1 on any problem, 2 when the validator itself failed.
 */
async function main(dirs: string[]): Promise<number> {
  if (dirs.length === 0) {
    console.error('usage: validate DIR...');
    return 2;
  }
  const report = await validateDirs(dirs);
  for (const d of report.missingDirs) console.log(`note: ${d}/ does not exist, skipped`);
  for (const p of report.problems) console.log(formatProblem(p));
  console.log(formatSummary(report));
  return report.problems.length > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    console.error(`validate failed: ${(e as Error).stack ?? String(e)}`);
    process.exitCode = 2;
  },
);
