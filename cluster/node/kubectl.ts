import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sh } from './daemon';
import { KUBECONFIG, kubeBin } from './layout';

const run = promisify(execFile);

/** kubectl with the admin kubeconfig; returns stdout, throws with stderr. */
export function kubectl(args: readonly string[], input?: string): string {
  return sh(kubeBin('kubectl'), [`--kubeconfig=${KUBECONFIG}`, ...args], { input });
}

export async function kubectlAsync(args: readonly string[], timeoutMs = 120_000): Promise<string> {
  try {
    const { stdout } = await run(kubeBin('kubectl'), [`--kubeconfig=${KUBECONFIG}`, ...args], { timeout: timeoutMs, maxBuffer: 64 << 20 });
    return stdout.trim();
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')}: ${err.stderr?.trim() || err.message}`);
  }
}

export function kubectlJson<T = { items: Record<string, unknown>[] }>(args: readonly string[]): T {
  return JSON.parse(kubectl([...args, '-o', 'json'])) as T;
}

export function apply(yaml: string, extra: readonly string[] = []): string {
  return kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=airflow-eks-cluster', ...extra, '-f', '-'], yaml);
}
