import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** scripts/python-venv.sh, the one venv installer: installs once per requirements digest, parallel callers wait. */
const ROOT = path.resolve(__dirname, '../..');
let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'python-venv-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function install(venv: string, requirements: string, how: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('bash', ['scripts/python-venv.sh', venv, requirements, how], { cwd: ROOT });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('exit', (code) => resolve({ code, out }));
  });
}

test('two parallel installs of one venv: one installs, the other waits and finds it ready; a re-run is a no-op', async () => {
  const venv = path.join(dir, 'venv');
  const requirements = path.join(dir, 'requirements.txt');
  fs.writeFileSync(requirements, '# nothing to install\n');
  const both = await Promise.all([install(venv, requirements, 'pip'), install(venv, requirements, 'pip')]);
  expect(both.map((r) => r.code)).toEqual([0, 0]);
  expect(both.filter((r) => r.out.includes(`==> installing ${requirements} into ${venv}`))).toHaveLength(1);
  expect(fs.existsSync(path.join(venv, 'bin', 'python'))).toBe(true);
  const again = await install(venv, requirements, 'pip');
  expect(again).toEqual({ code: 0, out: '' });
  // A changed requirements file installs again.
  fs.appendFileSync(requirements, '# changed\n');
  expect((await install(venv, requirements, 'pip')).out).toContain('==> installing');
}, 120_000);

test('an unknown installer is refused with the ones that exist', async () => {
  const requirements = path.join(dir, 'r2.txt');
  fs.writeFileSync(requirements, '\n');
  const r = await install(path.join(dir, 'v2'), requirements, 'conda');
  expect(r.code).toBe(2);
  expect(r.out).toContain("unknown installer 'conda' (use uv-sync, pip or pip-no-deps)");
});
