import { stringify } from 'yaml';
import { buildOperator, kedaScalerProbe, operatorBuilt } from './build';
import { operatorImages } from './images';
import { devEnvironment, installOperators, operatorObjects } from './install';
import { OPERATORS, operatorSource, type OperatorName } from './sources';
import { operatorCrds } from './upstream';

const USAGE = `usage: npm run cluster:operators -- <command>
  build                       build Argo CD, KEDA (and our probe of its PostgreSQL scaler), External Secrets from their Go modules into the cache (one at a time)
  images                      build their images into the cache; prints [{ref, archive}] for the images loader
  manifests [--aws-endpoint URL]   print the install objects (CRDs apart) as YAML
  install --kubeconfig FILE [--ca-cert PEM --git-hosts h1,h2] [--aws-endpoint URL] [--ctr-socket SOCK] [--no-wait] [--dry-run] [--only a,b] [--timeout S]
                              install into a running cluster and wait until each operator is Ready`;

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (!v || v.startsWith('--')) throw new Error(`${name} needs a value\n${USAGE}`);
  return v;
}

function only(args: string[]): OperatorName[] {
  const list = flag(args, '--only');
  if (!list) return [...OPERATORS];
  const names = list.split(',');
  for (const n of names) if (!OPERATORS.includes(n as OperatorName)) throw new Error(`--only: unknown operator '${n}' (one of ${OPERATORS.join(', ')})`);
  return names as OperatorName[];
}

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  switch (command) {
    case 'build':
      for (const name of only(args)) {
        const cached = operatorBuilt(name);
        const seconds = buildOperator(name);
        console.log(`${name} ${operatorSource(name).version}: ${cached ? 'cached' : 'built'} in ${seconds.toFixed(1)} s`);
        // The tests run KEDA's PostgreSQL scaler itself against PgBouncer (test/local/stack.integration.test.ts).
        if (name === 'keda') console.log(`KEDA scaler probe: ${kedaScalerProbe()}`);
      }
      return;
    case 'images': {
      const started = Date.now();
      const images = operatorImages(only(args));
      console.error(`operator images ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      console.log(JSON.stringify(images, null, 2));
      return;
    }
    case 'manifests': {
      const endpoint = flag(args, '--aws-endpoint');
      const objects = only(args).flatMap((o) => operatorObjects(o, devEnvironment(), { aws: endpoint ? { endpoint } : undefined }));
      console.log(objects.map((o) => stringify(o)).join('---\n'));
      console.error(`${objects.length} objects; CRDs: ${only(args).flatMap(operatorCrds).length}`);
      return;
    }
    case 'install': {
      const kubeconfig = flag(args, '--kubeconfig');
      if (!kubeconfig) throw new Error(`install: --kubeconfig is required\n${USAGE}`);
      const endpoint = flag(args, '--aws-endpoint');
      const timeout = flag(args, '--timeout');
      const report = await installOperators(kubeconfig, {
        operators: only(args),
        aws: endpoint ? { endpoint } : undefined,
        caCert: flag(args, '--ca-cert'),
        ctrSocket: flag(args, '--ctr-socket'),
        gitHosts: flag(args, '--git-hosts')?.split(','),
        wait: !args.includes('--no-wait'),
        dryRun: args.includes('--dry-run'),
        timeoutSeconds: timeout ? Number(timeout) : undefined,
      });
      console.log(JSON.stringify(report));
      return;
    }
    default:
      throw new Error(USAGE);
  }
}

main(process.argv.slice(2)).catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
