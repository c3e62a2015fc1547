import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dagRepoUrl } from '../../manifests-src/config';
import { renderSecretTemplate } from '../../manifests-src/platform/external-secret-objects';
import { VENV_BIN } from '../../local/stack';
import { environment, find, parseFiles, podSpecOf, render, type RenderedObject } from '../support/render';

/** The committed dist/ of one environment, parsed. */
function committed(env: string): RenderedObject[] {
  const root = path.resolve(__dirname, '../../dist', env);
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else files.set(path.relative(path.resolve(__dirname, '../../dist'), p), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(root);
  return parseFiles(files);
}

const envOf = (c: any): Record<string, string> => Object.fromEntries((c.env ?? []).filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
/** The pod's settings about the DAG repository (secret options read from other files are left out here). */
const gitSettingsOf = (c: any) => Object.fromEntries(Object.entries(envOf(c)).filter(([k]) => !k.endsWith('_CMD')));

/**
 * Runs the provider's real GitHook (Airflow's connection lookup, LocalFilesystemBackend on the rendered
 * connections file) with the settings a pod gets, and prints what git would be run with.
 */
function gitHookSees(settings: Record<string, string>, repoUrl: string): { repo_url: string; git_ssh_command: string } {
  const script = [
    'import json, sys',
    'from airflow.providers.git.hooks.git import GitHook',
    "h = GitHook(git_conn_id=sys.argv[1], repo_url=sys.argv[2])",
    'with h.configure_hook_env():',
    "    print(json.dumps({'repo_url': h.repo_url, 'git_ssh_command': h.env.get('GIT_SSH_COMMAND', '')}))",
  ].join('\n');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'airflow-home-'));
  const r = spawnSync(path.join(VENV_BIN, 'python'), ['-W', 'ignore', '-c', script, 'dags_git', repoUrl], {
    env: { PATH: process.env.PATH, AIRFLOW_HOME: home, ...settings },
    encoding: 'utf8',
    timeout: 120_000,
  });
  fs.rmSync(home, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`GitHook failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** Writes the `airflow-git` Secret as External Secrets would, into `dir` (standing in for the mount). */
function materialise(objs: RenderedObject[], envName: string, values: Record<string, string>, dir: string, mountPath: string): void {
  const es = find(objs, 'ExternalSecret', 'airflow-git', envName);
  for (const [key, tpl] of Object.entries<string>(es.spec.target.template.data)) {
    // The pod reads the file at the mount path; here the same file lives in a temp folder.
    fs.writeFileSync(path.join(dir, key), renderSecretTemplate(tpl, values).split(mountPath).join(dir), { mode: 0o400 });
  }
}

describe('DAG bundle (GitDagBundle) as dist/ ships it', () => {
  const prod = committed('prod');

  test('only the dag-processor and the workers clone: they alone get bundle storage and the git credentials', () => {
    for (const name of ['airflow-api-server', 'airflow-scheduler', 'airflow-triggerer', 'airflow-dag-processor', 'airflow-worker']) {
      const spec = podSpecOf(find(prod, 'Deployment', name))!;
      const clones = ['airflow-dag-processor', 'airflow-worker'].includes(name);
      expect([name, spec.volumes.some((v: any) => v.secret?.secretName === 'airflow-git')]).toEqual([name, clones]);
      expect([name, spec.volumes.some((v: any) => v.name === 'dag-bundles')]).toEqual([name, clones]);
      expect([name, 'AIRFLOW__SECRETS__BACKEND' in envOf(spec.containers[0])]).toEqual([name, clones]);
      expect(spec.initContainers.map((c: any) => c.name)).toEqual(['log-groomer']);
    }
  });

  test('the bundle config names the repository, branch, sub-folder and refresh interval from the config', () => {
    const config = find(prod, 'ConfigMap', 'airflow-config').data!;
    const [bundle] = JSON.parse(config.AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST);
    const env = environment('prod');
    expect(bundle).toEqual({
      name: 'dags',
      classpath: 'airflow.providers.git.bundles.git.GitDagBundle',
      kwargs: { repo_url: dagRepoUrl(env), git_conn_id: 'dags_git', tracking_ref: env.dags.branch, subdir: env.dags.subPath, refresh_interval: env.dags.refreshIntervalSeconds },
    });
    // Without dags.repoUrl: the CodeCommit repository infra/ creates, in the environment's partition.
    const codeCommit = (name: string) => {
      const e = environment(name);
      return dagRepoUrl({ ...e, dags: { ...e.dags, repoUrl: undefined } });
    };
    expect(codeCommit('prod')).toBe('https://git-codecommit.us-east-1.amazonaws.com/v1/repos/airflow-prod-dags');
    expect(codeCommit('prod-cn')).toBe('https://git-codecommit.cn-north-1.amazonaws.com.cn/v1/repos/airflow-prod-cn-dags');
  });

  test('HTTPS: the committed ExternalSecret renders a connection the real GitHook turns into an authenticated clone URL', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airflow-git-'));
    const spec = podSpecOf(find(prod, 'Deployment', 'airflow-worker'))!;
    const mount = spec.containers[0].volumeMounts.find((m: any) => m.name === 'git-credentials');
    expect(mount.readOnly).toBe(true);
    // Characters that break naive JSON or URL building.
    const username = 'dags-reader-at-123456789012';
    const password = 'p@ss/w:rd"\\with+space =';
    materialise(prod, 'prod', { username, password }, dir, mount.mountPath);
    const settings = Object.fromEntries(Object.entries(gitSettingsOf(spec.containers[0])).map(([k, v]) => [k, v.split(mount.mountPath).join(dir)]));
    const { kwargs } = JSON.parse(find(prod, 'ConfigMap', 'airflow-config').data!.AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST)[0];
    const seen = gitHookSees(settings, kwargs.repo_url);
    expect(kwargs.repo_url).toMatch(/^https:\/\//);
    expect(seen.repo_url).toBe(kwargs.repo_url.replace('https://', `https://${encodeURIComponent(username)}:${encodeURIComponent(password)}@`));
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  test('SSH: the key and known_hosts are files of the mounted Secret, with strict host key checking', () => {
    const ssh = render([environment('prod', { dags: { repoUrl: 'git@git.example.org:team/dags.git', auth: 'ssh' } })]);
    const spec = podSpecOf(find(ssh, 'Deployment', 'airflow-dag-processor'))!;
    const mount = spec.containers[0].volumeMounts.find((m: any) => m.name === 'git-credentials');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airflow-git-'));
    materialise(ssh, 'prod', { sshKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n', knownHosts: 'git.example.org ssh-ed25519 AAAA' }, dir, mount.mountPath);
    const settings = Object.fromEntries(Object.entries(gitSettingsOf(spec.containers[0])).map(([k, v]) => [k, v.split(mount.mountPath).join(dir)]));
    const seen = gitHookSees(settings, 'git@git.example.org:team/dags.git');
    expect(seen.repo_url).toBe('git@git.example.org:team/dags.git');
    expect(seen.git_ssh_command).toBe(`ssh -i ${dir}/ssh-key -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${dir}/known-hosts`);
    expect(fs.readFileSync(path.join(dir, 'known-hosts'), 'utf8')).toBe('git.example.org ssh-ed25519 AAAA');
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  test('a public repository needs no Secret: the connection is a plain setting', () => {
    const pub = render([environment('prod', { dags: { repoUrl: 'https://git.example.org/team/dags.git', auth: 'none' } })]);
    expect(pub.some((o) => o.obj.kind === 'ExternalSecret' && o.obj.metadata.name === 'airflow-git')).toBe(false);
    const env = envOf(podSpecOf(find(pub, 'Deployment', 'airflow-worker'))!.containers[0]);
    expect(JSON.parse(env.AIRFLOW_CONN_DAGS_GIT)).toEqual({ conn_type: 'git', host: 'https://git.example.org/team/dags.git' });
  });
});
