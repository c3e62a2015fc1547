/**
 * `npm run cost [-- --markdown] [--tasks-per-minute N] [--dags N] [--config FILE]`: monthly cost per component of each
 * environment beside Amazon MWAA at equal slots, then each MWAA class beside prod sized like for like.
 */
import { ConfigError, environmentsFromArgs } from '../../manifests-src/config';
import { UsageError, parseCostArgs } from './args';
import { renderMarkdown } from './markdown';
import { renderText, reportFor } from './report';

try {
  const args = parseCostArgs(process.argv.slice(2));
  const envs = environmentsFromArgs(args.rest);
  const reports = envs.map((env) => reportFor(env, { tasksPerMinute: args.tasksPerMinute, dags: args.dags }));
  console.log(args.markdown ? renderMarkdown(envs, reports) : renderText(reports));
} catch (e) {
  if (e instanceof ConfigError || e instanceof UsageError) {
    console.error(e.message);
    process.exit(2);
  }
  throw e;
}
