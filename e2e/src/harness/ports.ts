import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A TCP port nothing listens on right now, drawn below the kernel's ephemeral range. Port 0 would let the kernel
 * choose from that range, which is also where every outgoing connection takes its local port: the distributed
 * mode starts its services in stages, and a port chosen at the start could meanwhile become the local end of a
 * Kafka, Redis or MongoDB connection. Below the range only a listener can take it; a service that still loses
 * the race fails its start loudly rather than answering for someone else.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const ceiling = ephemeralStart() - 1;
  const floor = Math.max(1_024, ceiling - 12_000);
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = floor + Math.floor(Math.random() * (ceiling - floor + 1));
    // Ports handed out earlier in this process may not be bound yet: never hand one out twice.
    if (handedOut.has(port)) continue;
    if (await canListen(port, host)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port found between ${floor} and ${ceiling}`);
}

const handedOut = new Set<number>();

/** The first port of the kernel's ephemeral range (Linux); 32768, the usual one, elsewhere. */
function ephemeralStart(): number {
  try {
    const [start] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const port = Number(start);
    return Number.isInteger(port) && port > 2_048 ? port : 32_768;
  } catch {
    return 32_768;
  }
}

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolveFree(false));
    server.listen(port, host, () => server.close(() => resolveFree(true)));
  });
}

/**
 * Fails when something already listens on `port`: a service that cannot bind it exits, but a health check
 * would meanwhile get its answer from the other listener and take it for the service's.
 */
export function assertPortFree(port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolveFree, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${port} is already in use on ${host}: choose another`)
          : error,
      ),
    );
    server.listen(port, host, () => server.close(() => resolveFree()));
  });
}
