import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { loadTestcontainers } from './containers.js';
import { buildFerretDb } from './ferretdb-build.js';
import { createRunDir, freePort } from './local/cache.js';
import { type LocalProcess, spawnServer, startWithRetries, waitUntilReady } from './local/process.js';
import { serverMode } from './mode.js';
import { once } from './once.js';
import type { RunningMongo } from './types.js';

const MONGO_IMAGE = 'mongo:7';

/**
 * Starts a MongoDB-protocol server for tests: MongoDB in a container where Docker runs, FerretDB (MongoDB wire
 * protocol on SQLite) as a local process otherwise. Code tested here must stay within what both serve: see
 * DESIGN.md for what FerretDB 1.x lacks.
 */
export async function startMongo(): Promise<RunningMongo> {
  return (await serverMode()) === 'container' ? startMongoContainer() : startLocalFerretDb();
}

async function startMongoContainer(): Promise<RunningMongo> {
  const { GenericContainer, Wait } = await loadTestcontainers();
  const container = await new GenericContainer(MONGO_IMAGE)
    .withExposedPorts(27017)
    .withWaitStrategy(Wait.forLogMessage(/Waiting for connections/))
    .start();
  const address = `${container.getHost()}:${container.getMappedPort(27017)}`;
  const url = `mongodb://${address}/`;
  const stop = once(async () => {
    await container.stop();
  });
  try {
    const version = await mongoVersion(url);
    return {
      name: 'mongo',
      url,
      description: `mongodb ${version} (container ${MONGO_IMAGE} ${address})`,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function startLocalFerretDb(): Promise<RunningMongo> {
  const ferretdb = await buildFerretDb();
  return startWithRetries('ferretdb', async () => {
    const dir = await createRunDir('ferretdb');
    let server: LocalProcess | undefined;
    const stop = once(async () => {
      await server?.stop();
      await rm(dir, { recursive: true, force: true });
    });
    try {
      const data = join(dir, 'data');
      await mkdir(data);
      const port = await freePort();
      server = await spawnServer({
        command: ferretdb.binary,
        args: ['-listen', `127.0.0.1:${port}`, '-dir', data, '-log-level', 'warn'],
        cwd: dir,
        logFile: join(dir, 'ferretdb.log'),
      });
      const url = `mongodb://127.0.0.1:${port}/`;
      await waitUntilReady('ferretdb', server, () => mongoVersion(url), 30_000);
      return {
        name: 'mongo',
        url,
        description: `ferretdb ${ferretdb.version} (local process 127.0.0.1:${port})`,
        stop,
      };
    } catch (error) {
      await stop();
      throw error;
    }
  });
}

/** Pings and reads the version the server reports (FerretDB reports the MongoDB version it emulates). */
async function mongoVersion(url: string): Promise<string> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 2_000, connectTimeoutMS: 2_000 });
  try {
    const admin = client.db('admin');
    await admin.command({ ping: 1 });
    const info = await admin.command({ buildInfo: 1 });
    return typeof info.version === 'string' ? info.version : 'unknown';
  } finally {
    await client.close();
  }
}
