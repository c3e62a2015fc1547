import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { assertServerUserReaches } from '../../local/postgres-server';
import { LocalStack } from '../../local/stack';
import { devEnvironment } from '../support/local-stack';

/** The runner refuses, with a message saying what to do, before it starts anything. */
let stateDir: string;
beforeEach(() => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-guard-'));
  fs.chmodSync(stateDir, 0o755); // as a clone's folder is: the servers' user may enter it
});
afterEach(() => fs.rmSync(stateDir, { recursive: true, force: true }));

test('a taken port is refused with the component, the port and the fix', async () => {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const stack = new LocalStack({ env: devEnvironment(), stateDir, apiServerPort: port });
    await expect(stack.start()).rejects.toThrow(`port ${port} for apiServer is already in use on 127.0.0.1: stop what listens there`);
    expect(stack.processes.size).toBe(0);
  } finally {
    server.close();
  }
});

test('a state folder owned by a live runner is refused, and nothing of that runner is killed', async () => {
  fs.mkdirSync(path.join(stateDir, 'run'), { recursive: true });
  // Our parent stands in for the other runner (alive); a "component" pid that must survive: ourselves.
  fs.writeFileSync(path.join(stateDir, 'run', 'pids.json'), JSON.stringify({ '(runner)': process.ppid, 'api-server': process.pid }));
  const stack = new LocalStack({ env: devEnvironment(), stateDir });
  await expect(stack.start()).rejects.toThrow(`another local runner (pid ${process.ppid}) is using ${stateDir}`);
  expect(fs.existsSync(path.join(stateDir, 'run', 'pids.json'))).toBe(true);
});

test('a state folder the servers\' user cannot enter is refused, naming the folder, its mode and the fix', async () => {
  if (process.getuid?.() !== 0) return; // the servers run as that user only when the runner is root
  const closed = path.join(stateDir, 'closed');
  fs.mkdirSync(closed, { mode: 0o700 });
  const inner = path.join(closed, 'clone', '.state');
  const stack = new LocalStack({ env: devEnvironment(), stateDir: inner });
  await expect(stack.start()).rejects.toThrow(`cannot enter ${closed} (mode 0700) on the way to the local state ${inner}: run from a clone in a folder others may enter, or allow it (chmod o+x ${closed})`);
  expect(stack.processes.size).toBe(0);
  fs.chmodSync(closed, 0o711);
  expect(() => assertServerUserReaches(inner)).not.toThrow();
});
