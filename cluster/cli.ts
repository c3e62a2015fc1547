import { environmentsFromArgs } from '../manifests-src/config';
import { down, status, up } from './cluster';
import { runManagedServices } from './services/managed-services';

/**
 * `npm run cluster -- up | down | status [--env dev] [--config FILE]`: a real single-node Kubernetes on
 * this machine running dist/<env> through Argo CD. `services` is the managed-services process `up` starts.
 */

const stamp = () => new Date().toISOString().slice(11, 19);
const log = (line: string) => console.log(`${stamp()} ${line}`);

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  const i = argv.indexOf('--env');
  const envName = i >= 0 ? argv[i + 1] : 'dev';
  const env = environmentsFromArgs(argv).find((e) => e.name === envName);
  if (!env) {
    console.error(`--env ${envName}: no such environment`);
    return 2;
  }
  if (process.getuid?.() !== 0) {
    console.error('cluster: needs root (network namespaces, iptables, containerd)');
    return 1;
  }
  switch (command) {
    case 'up': {
      const started = Date.now();
      const r = await up(env, log, { nodeOnly: argv.includes('--node-only') });
      log(`cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      // An image that cannot be built here is reported, not fatal: its Application is checked to wait only for it.
      return r.missing.some((m) => !m.startsWith('image ')) ? 3 : 0;
    }
    case 'down': {
      const left = await down(log, { purge: argv.includes('--purge') });
      if (left.length) {
        console.error(`cluster down left these behind:\n  ${left.join('\n  ')}`);
        return 1;
      }
      log('cluster down: nothing left (processes, shims, mounts, links, namespaces, KUBE-* chains)');
      return 0;
    }
    case 'status': {
      const s = await status(env);
      for (const [d, pid] of Object.entries(s.daemons)) console.log(`${d.padEnd(24)} ${pid ? `running (pid ${pid})` : 'stopped'}`);
      console.log(`node Ready: ${s.nodeReady}`);
      for (const p of s.pods) console.log(`pod ${p}`);
      for (const a of s.applications) console.log(`application ${a}`);
      return Object.values(s.daemons).every(Boolean) && s.nodeReady ? 0 : 1;
    }
    case 'services':
      await runManagedServices(env, log);
      await new Promise(() => {}); // until SIGTERM
      return 0;
    default:
      console.error('usage: npm run cluster -- up [--node-only] | down [--purge] | status [--env NAME] [--config FILE]');
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`cluster: ${e.message}`);
    process.exit(1);
  },
);
