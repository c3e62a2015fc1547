/** `npm run cost [-- --markdown] [env...]`: monthly cost per component of each environment, beside Amazon MWAA at equal slots. */
import { ConfigError, environmentsFromArgs } from '../../manifests-src/config';
import { renderMarkdown } from './markdown';
import { renderText, reportFor } from './report';

try {
  const markdown = process.argv.includes('--markdown');
  const envs = environmentsFromArgs(process.argv.slice(2).filter((a) => a !== '--markdown'));
  const reports = envs.map(reportFor);
  console.log(markdown ? renderMarkdown(envs, reports) : renderText(reports));
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(2);
  }
  throw e;
}
