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

export interface StartRedisOptions {
  /**
   * Persist by the append-only file alone (still no RDB snapshots), in `dir` on this machine, for tests of what
   * reaches the disk. Without it the server keeps nothing on disk.
   */
  appendOnly?: boolean;
}

/** Starts a Redis server for tests: a container where Docker runs, Debian's redis-server otherwise. */
export async function startRedis(options: { appendOnly: true }): Promise<RunningRedis & { dir: string }>;
export async function startRedis(options?: StartRedisOptions): Promise<RunningRedis>;
export async function startRedis(options: StartRedisOptions = {}): Promise<RunningRedis> {
  const persistence = ['--save', '', '--appendonly', options.appendOnly ? 'yes' : 'no'];
  return (await serverMode()) === 'container'
    ? startRedisContainer(persistence, options.appendOnly ?? false)
    : startLocalRedis(persistence);
}

async function startRedisContainer(persistence: string[], appendOnly: boolean): Promise<RunningRedis> {
  const { GenericContainer, Wait } = await loadTestcontainers();
  // The files are written into a directory of this machine, by a server running as this user so that the test
  // can read them (the image's entrypoint would otherwise hand the directory to its own user).
  const dir = appendOnly ? await createRunDir('redis') : undefined;
  let definition = new GenericContainer(REDIS_IMAGE)
    .withExposedPorts(6379)
    .withCommand(['redis-server', ...persistence])
    .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'));
  if (dir) {
    definition = definition
      .withBindMounts([{ source: dir, target: '/data' }])
      .withUser(`${process.getuid?.()}:${process.getgid?.()}`);
  }
  const container = await definition.start();
  const address = `${container.getHost()}:${container.getMappedPort(6379)}`;
  const url = `redis://${address}`;
  const stop = once(async () => {
    await container.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  try {
    const version = await redisVersion(url);
    return {
      name: 'redis',
      url,
      description: `redis ${version} (container ${REDIS_IMAGE} ${address})`,
      stop,
      ...(dir ? { dir } : {}),
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function startLocalRedis(persistence: string[]): Promise<RunningRedis & { dir: string }> {
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
          ...[...persistence, '--daemonize', 'no', '--logfile', ''],
        ],
        cwd: dir,
        logFile: join(dir, 'redis.log'),
      });
      const url = `redis://127.0.0.1:${port}`;
      const version = await waitUntilReady('redis', server, () => redisVersion(url), 30_000);
      return {
        name: 'redis',
        url,
        description: `redis ${version} (local process 127.0.0.1:${port})`,
        stop,
        dir,
      };
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
