import { injectServer } from '@gram/test-servers/inject';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { newId } from '../ids.js';
import { redisIdempotencyStore } from './redis-store.js';
import { idempotencyStoreContract } from './store.contract.js';

const redisUrl = injectServer('redisUrl');

describe.skipIf(redisUrl === undefined)('the Redis idempotency store', () => {
  const clients: Redis[] = [];
  const client = () => {
    const redis = new Redis(redisUrl as string);
    clients.push(redis);
    return redis;
  };
  afterAll(() => {
    for (const redis of clients) redis.disconnect();
  });

  // Each test's keys are new ids, and a new prefix per subject: the server is shared with other suites.
  idempotencyStoreContract('Redis', async () => {
    const prefix = `idempotency-test-${newId()}:`;
    return {
      store: redisIdempotencyStore(client(), { prefix }),
      reopen: async () => redisIdempotencyStore(client(), { prefix }),
    };
  });

  it('lets a claim expire after its lease and an answer after its time to live', async () => {
    const redis = client();
    const prefix = `idempotency-test-${newId()}:`;
    const store = redisIdempotencyStore(redis, { prefix });
    const lease = 60_000;
    const day = 24 * 60 * 60 * 1000;
    await store.claim('k', 'a', lease);
    const claimTtl = await redis.pttl(`${prefix}k`);
    expect(claimTtl).toBeGreaterThan(0);
    expect(claimTtl).toBeLessThanOrEqual(lease);
    await store.complete('k', 'a', { fingerprint: 'f', status: 201, headers: {}, body: '{}' }, day);
    const answerTtl = await redis.pttl(`${prefix}k`);
    expect(answerTtl).toBeGreaterThan(lease);
    expect(answerTtl).toBeLessThanOrEqual(day);
  });
});
