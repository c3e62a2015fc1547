/**
 * The loader against a real containerd (Debian's, a private instance on its own socket, CRI plugin off):
 * images land in namespace k8s.io under dist/'s exact references, a second load imports nothing,
 * and a reference that is not dist/'s is refused. Uses the two small images (sandbox, StatsD exporter).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../cluster/images/build';
import { planImages } from '../../cluster/images/catalog';
import { loadImages } from '../../cluster/images/load';

let dir: string;
let containerd: ChildProcess;
let socket: string;

const ctrRefs = () =>
  spawnSync('ctr', ['-n', 'k8s.io', '-a', socket, 'images', 'ls', '-q'], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'images-load-'));
  socket = join(dir, 'containerd.sock');
  writeFileSync(join(dir, 'config.toml'), 'version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n');
  containerd = spawn('containerd', ['--config', join(dir, 'config.toml'), '--root', join(dir, 'root'), '--state', join(dir, 'state'), '--address', socket], {
    stdio: 'ignore',
  });
  const deadline = Date.now() + 30_000;
  while (!(existsSync(socket) && spawnSync('ctr', ['-a', socket, 'version']).status === 0)) {
    if (Date.now() > deadline) throw new Error('containerd did not start within 30 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}, 60_000);

afterAll(async () => {
  if (containerd?.exitCode === null) {
    const exited = new Promise((r) => containerd.once('exit', r));
    containerd.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

test('imports under the exact references, verifies them, and skips what is already there', () => {
  const plan = planImages(REPO_ROOT);
  const statsd = [...plan.provides.keys()].find((r) => r.includes('statsd'))!;
  const only = [plan.sandboxImage, statsd];
  const first = loadImages(socket, { only, log: () => undefined });
  expect(first.loaded.map((l) => [l.ref, l.imported])).toEqual(only.map((r) => [r, true]));
  expect(ctrRefs()).toEqual(expect.arrayContaining(only));
  const second = loadImages(socket, { only, log: () => undefined });
  expect(second.loaded.every((l) => !l.imported)).toBe(true);
  console.log(`load: first ${first.loaded.map((l) => `${l.ref} ${l.seconds.toFixed(1)} s`).join(', ')}; second ${second.loaded.reduce((s, l) => s + l.seconds, 0).toFixed(1)} s`);
}, 20 * 60_000);

test('a reference dist/ does not use is refused by name', () => {
  expect(() => loadImages(socket, { only: ['docker.io/library/not-in-dist:1'] })).toThrow(/not-in-dist:1 is not an image of dist\/dev/);
});
