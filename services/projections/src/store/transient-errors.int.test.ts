import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { identityDataKeys } from '@gram/personal-data';
import { startTcpProxy, type TcpProxy } from '@gram/test-servers';
import { injectServer } from '@gram/test-servers/inject';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTransientStoreError } from './transient-errors.js';

const mongoUrl = injectServer('mongoUrl');
const redisUrl = injectServer('redisUrl');

/** What `operation` rejects with. */
async function failureOf(operation: () => Promise<unknown>): Promise<unknown> {
  try {
    await operation();
  } catch (error) {
    return error;
  }
  throw new Error('the operation succeeded');
}

describe.skipIf(mongoUrl === undefined || redisUrl === undefined)(
  'transient store errors, as the real clients raise them',
  () => {
    let mongoProxy: TcpProxy;
    let redisProxy: TcpProxy;
    beforeAll(async () => {
      const mongo = new URL(mongoUrl as string);
      const redis = new URL(redisUrl as string);
      mongoProxy = await startTcpProxy({ host: mongo.hostname, port: Number(mongo.port) });
      redisProxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port) });
    });
    afterAll(async () => {
      await mongoProxy?.close();
      await redisProxy?.close();
    });

    it('calls MongoDB out of reach transient, and a refused write not', async () => {
      const client = await MongoClient.connect(`mongodb://127.0.0.1:${mongoProxy.port}/`, {
        serverSelectionTimeoutMS: 300,
      });
      try {
        const docs = client.db('transient_errors_test').collection<{ _id: string }>(`c${Date.now()}`);
        await docs.insertOne({ _id: 'a' });
        const duplicate = await failureOf(() => docs.insertOne({ _id: 'a' }));
        expect(duplicate).toMatchObject({ code: 11000 });
        expect(isTransientStoreError(duplicate)).toBe(false);

        mongoProxy.cut();
        const unreachable = await failureOf(() => docs.findOne({ _id: 'a' }));
        expect(isTransientStoreError(unreachable)).toBe(true);
        expect(isTransientStoreError(new Error('projection failed', { cause: unreachable }))).toBe(true);
        mongoProxy.restore();
        await docs.drop();
      } finally {
        mongoProxy.restore();
        await client.close();
      }
    });

    it('calls Redis out of reach transient, and a refused command not', async () => {
      const redis = new Redis(`redis://127.0.0.1:${redisProxy.port}`, { maxRetriesPerRequest: 1 });
      redis.on('error', () => {}); // the resets of the outage below, which the command's rejection reports
      try {
        const key = `transient-errors-test-${Date.now()}`;
        await redis.set(key, 'a string');
        const wrongType = await failureOf(() => redis.zadd(key, 1, 'member'));
        expect(String(wrongType)).toMatch(/WRONGTYPE/);
        expect(isTransientStoreError(wrongType)).toBe(false);
        await redis.del(key);

        redisProxy.cut();
        const unreachable = await failureOf(() => redis.get(key));
        expect(isTransientStoreError(unreachable)).toBe(true);
      } finally {
        redisProxy.restore();
        redis.disconnect();
      }
    });

    it('does not call a plain programming error transient', () => {
      expect(isTransientStoreError(new TypeError("Cannot read properties of undefined (reading 'at')"))).toBe(
        false,
      );
      expect(isTransientStoreError('not even an error')).toBe(false);
    });
  },
);

describe('transient data key errors, as the identity client raises them', () => {
  it('calls a data key identity cannot give now transient: its key store down (503), no answer in time, a key it does not know yet, identity out of reach', async () => {
    // identity's internal route as each outage answers it
    const server = createServer((req, res) => {
      if (req.url?.endsWith('/down')) res.writeHead(503).end('{"code":"service-unavailable"}');
      else if (req.url?.endsWith('/unknown')) res.writeHead(404).end();
      else if (req.url?.endsWith('/gone')) res.writeHead(200).end('{"state":"destroyed"}');
      // '/slow': never answered
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const keys = identityDataKeys(url, {}, { timeoutMs: 200 });
      for (const account of ['down', 'slow', 'unknown']) {
        const failure = await failureOf(() => keys(account));
        expect(isTransientStoreError(failure), account).toBe(true);
        expect(isTransientStoreError(new Error('projection failed', { cause: failure })), account).toBe(true);
      }
      // A destroyed key is an answer, which the projection reads as forgotten: nothing to retry.
      await expect(keys('gone')).resolves.toEqual({ state: 'destroyed' });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    const unreachable = await failureOf(() => identityDataKeys(url, {}, { timeoutMs: 200 })('down'));
    expect(isTransientStoreError(unreachable)).toBe(true);
  });
});
