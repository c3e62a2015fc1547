import { ConfigError, environmentsFromArgs } from '../manifests-src/config';
import { LocalStack } from './stack';

/**
 * `npm run local [-- --env dev] [--workers 2] [--port 8080] [--config FILE]`: runs the configuration
 * dist/ deploys, as real processes on loopback, until Ctrl-C.
 */
function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]): Promise<number> {
  const envs = environmentsFromArgs(argv);
  const envName = arg(argv, '--env') ?? 'dev';
  const env = envs.find((e) => e.name === envName);
  if (!env) {
    console.error(`--env ${envName}: no such environment; configured: ${envs.map((e) => e.name).join(', ')}`);
    return 2;
  }
  const stamp = () => new Date().toISOString().slice(11, 19);
  const stack = new LocalStack({
    env,
    workers: Number(arg(argv, '--workers') ?? 2),
    apiServerPort: arg(argv, '--port') ? Number(arg(argv, '--port')) : undefined,
    onEvent: (line) => console.log(`${stamp()} ${line}`),
  });
  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    if (stopping) return;
    console.log(`${stamp()} stopping (workers get a warm shutdown)...`);
    stopping = stack.stop();
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  try {
    await stack.start();
  } catch (e) {
    console.error(`local stack failed to start: ${(e as Error).message}`);
    await stack.stop();
    return 1;
  }
  console.log(`\nAirflow (${env.name}) is up:  ${stack.apiUrl}/`);
  console.log(`  login: ${stack.adminUser} / ${stack.secrets.adminPassword}`);
  console.log(`  state: ${stack.paths.state}   logs: ${stack.paths.state}/run/*.log`);
  console.log(`  DAG repo: ${stack.paths.dagRepo} (branch ${env.dags.branch}); re-publish dags/ by restarting`);
  console.log('  Ctrl-C stops everything.\n');
  const status = setInterval(async () => {
    const h = await stack.health();
    const procs = [...stack.processes].map(([n, p]) => `${n}:${p.running ? 'up' : 'DOWN'}`).join(' ');
    const beats = h ? ['scheduler', 'triggerer', 'dag_processor'].map((k) => `${k}=${h[k]?.status ?? '?'}`).join(' ') : 'api-server unreachable';
    console.log(`${stamp()} status ${procs} | ${beats}`);
  }, 30_000);
  await new Promise<void>((resolve) => {
    const t = setInterval(() => {
      if (stopping) {
        clearInterval(t);
        resolve();
      }
    }, 200);
  });
  clearInterval(status);
  await stopping;
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e) => {
    console.error(e instanceof ConfigError ? e.message : e);
    process.exitCode = 1;
  },
);
