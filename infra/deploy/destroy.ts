/**
 * `npm run destroy -- <env> [--config FILE] [-- <cdk destroy options>]`: lists what survives the delete (and how to
 * remove it), asks for the stack name (or reads it from CONFIRM), then runs `cdk destroy` on the environment stack
 * the same way the deploy runs cdk (infra/deploy/cdk.ts): the terminal's stdio, no timeout, the config file passed
 * to the cdk app, its exit status checked.
 */
import { readCommandLine } from './command-line';
import * as readline from 'node:readline';
import { ConfigError } from '../../manifests-src/config';
import { stackName } from '../lib/airflow-eks-stack';
import { cdkInvocation, runCdk, shellLine } from './cdk';
import { placeholderProblems } from './placeholders';
import { keptReport } from './retained';

const USAGE = 'usage: npm run destroy -- <environment> [--config FILE] [-- <cdk destroy options>]';

function ask(question: string): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      resolve(answer.trim());
    });
    rl.on('close', () => resolve(''));
  });
}

export async function main(argv: string[]): Promise<number> {
  const line = readCommandLine(argv, USAGE);
  if ('error' in line) {
    console.error(line.error);
    return 2;
  }
  const { cdkArgs, configFile, env } = line;
  const placeholders = placeholderProblems(env);
  if (placeholders.length) {
    console.error(`Cannot destroy ${env.name}: the config still holds example values (${placeholders.length}), so it is not the config the stack was deployed from:`);
    for (const p of placeholders) console.error(`  - ${p}`);
    console.error('Nothing was deleted. Pass the config the environment was deployed with (--config FILE).');
    return 2;
  }
  const stack = stackName(env);
  for (const line of keptReport(env, configFile)) console.log(line);

  const command = `npm run destroy -- ${shellLine(argv)}`;
  if (process.env.CONFIRM !== stack) {
    if (!process.stdin.isTTY) {
      console.error(`\nNot confirmed: no terminal to ask on. After reading the list above, run CONFIRM=${stack} ${command}. Nothing was deleted.`);
      return 1;
    }
    const answer = await ask(`Type the stack name (${stack}) to continue: `);
    if (answer !== stack) {
      console.error('Not confirmed; nothing deleted.');
      return 1;
    }
  }

  console.log(`\n==> Step 1 of 1: cdk destroy ${stack} (runs until CloudFormation is done; nothing here stops it part-way)`);
  const outcome = runCdk(cdkInvocation({ command: 'destroy', stack, environment: env.name, region: env.aws.region, configFile, extraArgs: cdkArgs }));
  if (outcome.status !== 0) {
    console.error(`\nDestroy of ${env.name} stopped: step 1 of 1 failed (cdk destroy ${stack}: ${outcome.why ?? `exit status ${outcome.status}`}).`);
    console.error(
      `Fix the cause shown above, then run ${command} again. With Aurora deletion protection on (infra.database.deletionProtection, the default), set it to false and run npm run deploy -- ${env.name} first. If the delete is still in progress (interrupted), wait until it settles (aws cloudformation describe-stacks --stack-name ${stack} --region ${env.aws.region}).`,
    );
    return outcome.status;
  }
  console.log(`==> step 1 of 1 done\n\nDeleted ${stack}. The resources listed above as kept remain until you remove them.`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      console.error(e instanceof ConfigError ? `${e.message}\nNothing was deleted.` : (e as Error).message);
      process.exitCode = e instanceof ConfigError ? 2 : 1;
    },
  );
}
