import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EnvironmentConfig } from '../manifests-src/config';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    stdio: 'pipe',
    env: { ...process.env, GIT_AUTHOR_NAME: 'local runner', GIT_AUTHOR_EMAIL: 'runner@localhost', GIT_COMMITTER_NAME: 'local runner', GIT_COMMITTER_EMAIL: 'runner@localhost' },
  }).toString().trim();

/**
 * Publishes a DAG folder to the local DAG repository (a bare git repo standing in for CodeCommit) as a
 * commit on the configured branch under `dags.subPath`. Returns the commit id; a no-change publish
 * returns the current head.
 */
export function publishDags(srcDir: string, bareRepo: string, env: Pick<EnvironmentConfig, 'dags'>): string {
  if (!fs.existsSync(path.join(bareRepo, 'HEAD'))) {
    fs.mkdirSync(bareRepo, { recursive: true });
    git(bareRepo, 'init', '--bare', '--quiet', `--initial-branch=${env.dags.branch}`);
  }
  const work = `${bareRepo}-worktree`;
  fs.rmSync(work, { recursive: true, force: true });
  git(path.dirname(bareRepo), 'clone', '--quiet', bareRepo, work);
  git(work, 'checkout', '--quiet', '-B', env.dags.branch);
  const target = path.join(work, env.dags.subPath);
  fs.rmSync(target, { recursive: true, force: true });
  fs.cpSync(srcDir, target, { recursive: true, filter: (p) => !p.includes('__pycache__') });
  git(work, 'add', '-A');
  if (git(work, 'status', '--porcelain') !== '') {
    git(work, 'commit', '--quiet', '-m', `DAGs from ${path.basename(srcDir)}`);
    git(work, 'push', '--quiet', 'origin', `HEAD:refs/heads/${env.dags.branch}`);
  }
  const head = git(work, 'rev-parse', 'HEAD');
  fs.rmSync(work, { recursive: true, force: true });
  return head;
}
