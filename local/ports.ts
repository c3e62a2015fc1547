import * as net from 'node:net';

/** Loopback only: nothing the runner starts is reachable from outside the machine. */
export const LOOPBACK = '127.0.0.1';

/** A port the kernel says is free right now (bind to 0, read it back, release). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, LOOPBACK, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** True when something accepts connections on the port. */
export function portInUse(port: number, host = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/** Distinct free ports for every name, so two components never race for one. */
export async function allocatePorts<K extends string>(names: readonly K[], fixed: Partial<Record<K, number>> = {}): Promise<Record<K, number>> {
  const out = {} as Record<K, number>;
  const taken = new Set<number>();
  for (const name of names) {
    const want = fixed[name];
    if (want !== undefined) {
      if (await portInUse(want)) throw new PortTakenError(name, want);
      out[name] = want;
    } else {
      let p = await freePort();
      while (taken.has(p)) p = await freePort();
      out[name] = p;
    }
    taken.add(out[name]);
  }
  return out;
}

export class PortTakenError extends Error {
  constructor(readonly component: string, readonly port: number) {
    super(`port ${port} for ${component} is already in use on ${LOOPBACK}: stop what listens there (ss -ltnp 'sport = :${port}') or choose another port`);
  }
}
