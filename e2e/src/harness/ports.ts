import { createServer } from 'node:net';

/**
 * A TCP port nothing listens on right now, chosen by the kernel. Another process could take it before
 * the service binds it; on a test machine that window is small enough, and a service that loses the
 * race fails its start loudly rather than answering for someone else.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('no port was assigned'));
      });
    });
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
