import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadTestcontainers } from './containers.js';
import { createRunDir, freePort } from './local/cache.js';
import { type LocalProcess, spawnServer, startWithRetries, waitUntilReady } from './local/process.js';
import { ensureCommand } from './local/tools.js';
import { serverMode } from './mode.js';
import { once } from './once.js';
import type { RunningRedis } from './types.js';

const REDIS_IMAGE = 'redis:7';

/** Starts a Redis server for tests: a container where Docker runs, Debian's redis-server otherwise. */
export async function startRedis(): Promise<RunningRedis> {
  return (await serverMode()) === 'container' ? startRedisContainer() : startLocalRedis();
}

async function startRedisContainer(): Promise<RunningRedis> {
  const { GenericContainer, Wait } = await loadTestcontainers();
  const container = await new GenericContainer(REDIS_IMAGE)
    .withExposedPorts(6379)
    .withCommand(['redis-server', '--save', '', '--appendonly', 'no'])
    .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
    .start();
  const address = `${container.getHost()}:${container.getMappedPort(6379)}`;
  const url = `redis://${address}`;
  const stop = once(async () => {
    await container.stop();
  });
  try {
    const version = await redisVersion(url);
    return {
      name: 'redis',
      url,
      description: `redis ${version} (container ${REDIS_IMAGE} ${address})`,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function startLocalRedis(): Promise<RunningRedis> {
  const redisServer = await ensureCommand('redis-server', 'redis-server');
  return startWithRetries('redis', async () => {
    const dir = await createRunDir('redis');
    let server: LocalProcess | undefined;
    const stop = once(async () => {
      await server?.stop();
      await rm(dir, { recursive: true, force: true });
    });
    try {
      const port = await freePort();
      // Our own process, not the system service: an isolated, empty, in-memory server per run.
      server = await spawnServer({
        command: redisServer,
        args: [
          ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir],
          ...['--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', ''],
        ],
        cwd: dir,
        logFile: join(dir, 'redis.log'),
      });
      const url = `redis://127.0.0.1:${port}`;
      const version = await waitUntilReady('redis', server, () => redisVersion(url), 30_000);
      return { name: 'redis', url, description: `redis ${version} (local process 127.0.0.1:${port})`, stop };
    } catch (error) {
      await stop();
      throw error;
    }
  });
}

/** Connects once, and answers the server's version: proof it serves commands, and the line for the log. */
async function redisVersion(url: string): Promise<string> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // Without a listener, a refused connection is also reported as an unhandled 'error' event.
  client.on('error', () => {});
  try {
    await client.connect();
    const info = await client.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  } finally {
    client.disconnect();
  }
}
