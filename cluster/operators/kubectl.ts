import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { kubeBin } from '../node/layout';
import type { K8sObject } from './upstream';

/** The kubectl built with the cluster (bin/kubernetes-<version>/kubectl), else the one on PATH. */
export function kubectlPath(): string {
  const built = kubeBin('kubectl');
  if (existsSync(built)) return built;
  const onPath = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).stdout.trim();
  if (!onPath) throw new Error(`no kubectl: build the cluster binaries first (${built} is missing) or put kubectl on PATH`);
  return onPath;
}

/** kubectl bound to one kubeconfig. */
export class Kubectl {
  constructor(
    readonly kubeconfig: string,
    readonly binary: string = kubectlPath(),
  ) {}

  /** Runs kubectl; throws with its stderr on failure. */
  run(args: string[], input?: string): string {
    const res = spawnSync(this.binary, ['--kubeconfig', this.kubeconfig, ...args], { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (res.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${(res.stderr || res.stdout || String(res.error)).trim()}`);
    return res.stdout;
  }

  /** Server-side apply of objects (one field manager, conflicts taken over: re-runs converge). */
  apply(objects: K8sObject[], opts: { dryRun?: boolean } = {}): string {
    const list = { apiVersion: 'v1', kind: 'List', items: objects };
    const args = ['apply', '--server-side', '--force-conflicts', '--field-manager', 'airflow-eks-local-operators', '-f', '-'];
    if (opts.dryRun) args.push('--dry-run=server');
    return this.run(args, JSON.stringify(list));
  }

  /** Parsed `kubectl get -o json`, or undefined when the object does not exist. */
  get<T = K8sObject>(kind: string, name: string, namespace?: string): T | undefined {
    const res = spawnSync(this.binary, ['--kubeconfig', this.kubeconfig, 'get', kind, name, ...(namespace ? ['-n', namespace] : []), '-o', 'json'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (res.status !== 0) {
      if (/NotFound|not found/.test(res.stderr)) return undefined;
      throw new Error(`kubectl get ${kind} ${name} failed: ${(res.stderr || String(res.error)).trim()}`);
    }
    return JSON.parse(res.stdout) as T;
  }

  /** `kubectl wait` for a condition, with a deadline. */
  wait(targets: string[], condition: string, timeoutSeconds: number, namespace?: string): void {
    this.run(['wait', ...targets, `--for=${condition}`, `--timeout=${timeoutSeconds}s`, ...(namespace ? ['-n', namespace] : [])]);
  }
}

/** A kubectl binary's client version line, for reports. */
export function kubectlVersion(binary: string): string {
  return execFileSync(binary, ['version', '--client'], { encoding: 'utf8' }).split('\n')[0];
}
