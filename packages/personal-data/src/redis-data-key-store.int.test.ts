import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type RunningRedis, startRedis, startTcpProxy } from '@gram/test-servers';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeDataKeyStoreContract, holdsPartOf, recordingMasterKey } from './data-key-store.contract.js';
import { KeyStoreUnavailable } from './data-key-store.js';
import { generateMasterKey, LocalMasterKey } from './master-key.js';
import { RedisDataKeyStore } from './redis-data-key-store.js';

// A server of this file's own, persisting by AOF alone as the key store's Redis does: the shared test Redis keeps
// nothing on disk.
let server: RunningRedis & { dir: string };
const clients: Redis[] = [];
const masterKey = LocalMasterKey.fromBase64(generateMasterKey());

/** A client as a service would configure it: bounded retries, no queue while disconnected. */
async function connected(url: string): Promise<Redis> {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
  });
  // An outage is also reported as 'error' events; the commands' rejections are what the tests look at.
  client.on('error', () => {});
  clients.push(client);
  await client.connect();
  return client;
}

beforeAll(async () => {
  server = await startRedis({ appendOnly: true });
});

afterAll(async () => {
  for (const client of clients) client.disconnect();
  await server?.stop();
});

describeDataKeyStoreContract('Redis (AOF)', async () => ({
  store: new RedisDataKeyStore({ redis: await connected(server.url), masterKey }),
  reopen: async () => new RedisDataKeyStore({ redis: await connected(server.url), masterKey }),
}));

/**
 * The files of the Redis directory once no AOF rewrite is running or scheduled: a rewrite that ends while the
 * directory is read replaces its files (a new base, the old increments deleted), which the reading would catch
 * half-way (a file listed and gone, or bytes moved to a file not listed).
 */
async function settledFilesUnder(redis: Redis, dir: string): Promise<Buffer[]> {
  for (;;) {
    const info = await redis.info('persistence');
    if (/aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) {
      const files = filesUnder(dir);
      const after = await redis.info('persistence');
      // No rewrite began while the files were read, or they are read again.
      if (/aof_rewrite_in_progress:0/.test(after) && (await aofRewrites(redis)) === rewritesIn(info))
        return files;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function rewritesIn(info: string): number {
  return Number(/aof_rewrites:(\d+)/.exec(info)?.[1]);
}

function filesUnder(dir: string): Buffer[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => readFileSync(path));
}

async function aofRewrites(redis: Redis): Promise<number> {
  return Number(/aof_rewrites:(\d+)/.exec(await redis.info('persistence'))?.[1]);
}

describe('Redis data key store, on disk', () => {
  it('a destroyed key leaves no bytes, wrapped or not, in any file of the Redis directory', async () => {
    const master = recordingMasterKey(masterKey);
    const store = new RedisDataKeyStore({ redis: await connected(server.url), masterKey: master });
    // A second replica of identity, destroying at the same time: Redis refuses its rewrite while the first runs.
    const replica = new RedisDataKeyStore({ redis: await connected(server.url), masterKey: master });
    const keys = new Map<string, Buffer>();
    for (let i = 0; i < 6; i++) {
      const accountId = `account-${randomUUID()}`;
      keys.set(accountId, await store.create(accountId));
    }
    const [alone, first, second] = [...keys.keys()] as [string, string, string];
    const observer = await connected(server.url);
    const expectOnDisk = async (destroyed: string[]) => {
      const files = await settledFilesUnder(observer, server.dir);
      for (const [accountId, key] of keys) {
        const wrapped = master.wrapped.get(accountId) as Buffer;
        expect(holdsPartOf(files, wrapped), `wrapped key of ${accountId}`).toBe(
          !destroyed.includes(accountId),
        );
        expect(holdsPartOf(files, key), `plain key of ${accountId}`).toBe(false);
      }
    };
    await expectOnDisk([]);

    await store.destroy(alone);
    await expectOnDisk([alone]);

    await Promise.all([store.destroy(first), replica.destroy(second)]);
    await expectOnDisk([alone, first, second]);
  });

  it('concurrent destroys share rewrites: at most two for ten destroys', async () => {
    const redis = await connected(server.url);
    const store = new RedisDataKeyStore({ redis, masterKey });
    const accounts = Array.from({ length: 10 }, () => `account-${randomUUID()}`);
    for (const accountId of accounts) await store.create(accountId);
    const before = await aofRewrites(redis);

    await Promise.all(accounts.map((accountId) => store.destroy(accountId)));

    // The first destroy's rewrite may begin before the others ask; all of those then share the next one.
    expect((await aofRewrites(redis)) - before).toBeGreaterThanOrEqual(1);
    expect((await aofRewrites(redis)) - before).toBeLessThanOrEqual(2);
  });

  it('refuses to destroy on a Redis that also takes RDB snapshots, which would keep the key until the next save', async () => {
    const redis = await connected(server.url);
    const store = new RedisDataKeyStore({ redis, masterKey });
    await redis.config('SET', 'save', '3600 1');
    try {
      await expect(store.destroy(`account-${randomUUID()}`)).rejects.toThrow(/must persist by AOF alone/);
    } finally {
      await redis.config('SET', 'save', '');
    }
  });

  it('a key store that cannot be reached answers KeyStoreUnavailable, never destroyed or unknown', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(server.url).port) });
    try {
      const store = new RedisDataKeyStore({
        redis: await connected(`redis://127.0.0.1:${proxy.port}`),
        masterKey,
      });
      const accountId = `account-${randomUUID()}`;
      await store.create(accountId);
      proxy.cut();

      await expect(store.get(accountId)).rejects.toThrow(KeyStoreUnavailable);
      await expect(store.create(`account-${randomUUID()}`)).rejects.toThrow(KeyStoreUnavailable);
      await expect(store.destroy(accountId)).rejects.toThrow(KeyStoreUnavailable);
    } finally {
      await proxy.close();
    }
  });

  it('a key store that was never reached answers KeyStoreUnavailable', async () => {
    const redis = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    });
    redis.on('error', () => {});
    clients.push(redis);
    const store = new RedisDataKeyStore({ redis, masterKey });
    await expect(store.get(`account-${randomUUID()}`)).rejects.toThrow(KeyStoreUnavailable);
  });
});
