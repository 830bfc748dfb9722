import { injectServer } from '@gram/test-servers/inject';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MarkDoc } from './documents.js';
import { memoryNotificationStore } from './memory.js';
import type { KeyedDocuments } from './port.js';
import { RedisCachedDocuments } from './redis-cached.js';

const redisUrl = injectServer('redisUrl');

/** A durable store whose reads wait until `release` is called, to hold one between its read and its copy. */
function heldReads(inner: KeyedDocuments<MarkDoc>) {
  let release: () => void = () => {};
  let held: Promise<void> | undefined;
  const durable: KeyedDocuments<MarkDoc> & { hold(): void; release(): void; reads: number } = {
    reads: 0,
    hold() {
      held = new Promise((resolve) => {
        release = resolve;
      });
    },
    release: () => release(),
    async get(id) {
      const [doc] = await durable.getMany([id]);
      return doc;
    },
    async getMany(ids) {
      durable.reads++;
      const read = await inner.getMany(ids);
      await held;
      return read;
    },
    update: (id, change) => inner.update(id, change),
  };
  return durable;
}

describe.skipIf(redisUrl === undefined)('read markers read through a copy in Redis', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(redisUrl as string);
  });
  afterAll(() => redis.quit());
  const prefix = () => `cached-test:${Math.floor(Math.random() * 1e9)}:marks:`;

  it('reads the durable store once, then the copy, and another instance sees an update at once', async () => {
    const durable = heldReads(memoryNotificationStore().marks);
    const key = prefix();
    const one = new RedisCachedDocuments(durable, redis, key);
    const other = new RedisCachedDocuments(durable, redis, key);
    await durable.update('ann', () => ({ _id: 'ann', readUpTo: '2026-01-01T00:00:00.000Z' }));
    expect(await one.get('ann')).toEqual({ _id: 'ann', readUpTo: '2026-01-01T00:00:00.000Z' });
    expect(await other.get('ann')).toEqual({ _id: 'ann', readUpTo: '2026-01-01T00:00:00.000Z' });
    expect(durable.reads).toBe(1);
    await one.update('ann', () => ({ _id: 'ann', readUpTo: '2026-01-02T00:00:00.000Z' }));
    expect(await other.get('ann')).toEqual({ _id: 'ann', readUpTo: '2026-01-02T00:00:00.000Z' });
    expect(await other.getMany(['ann', 'nobody'])).toEqual([
      { _id: 'ann', readUpTo: '2026-01-02T00:00:00.000Z' },
    ]);
  });

  it('remembers a marker that is not there, until an update or a deletion writes the copy again', async () => {
    const durable = heldReads(memoryNotificationStore().marks);
    const key = prefix();
    const one = new RedisCachedDocuments(durable, redis, key);
    const other = new RedisCachedDocuments(durable, redis, key);
    expect(await one.get('ann')).toBeUndefined();
    expect(await other.getMany(['ann'])).toEqual([]);
    expect(await one.get('ann')).toBeUndefined();
    expect(durable.reads).toBe(1);
    await other.update('ann', () => ({ _id: 'ann', readUpTo: '2026-01-01T00:00:00.000Z' }));
    expect(await one.get('ann')).toEqual({ _id: 'ann', readUpTo: '2026-01-01T00:00:00.000Z' });
    await other.update('ann', () => undefined);
    expect(await one.get('ann')).toBeUndefined();
    expect(await other.get('ann')).toBeUndefined();
    expect(durable.reads).toBe(2);
  });

  it('never leaves a marker absent over the one an update wrote while it was reading', async () => {
    const durable = heldReads(memoryNotificationStore().marks);
    const marks = new RedisCachedDocuments(durable, redis, prefix());
    durable.hold();
    const slowRead = marks.get('ann');
    while (durable.reads === 0) await new Promise((resolve) => setImmediate(resolve));
    await marks.update('ann', () => ({ _id: 'ann', readUpTo: '2026-01-02T00:00:00.000Z' }));
    durable.release();
    expect(await slowRead).toBeUndefined();
    expect(await marks.get('ann')).toEqual({ _id: 'ann', readUpTo: '2026-01-02T00:00:00.000Z' });
  });

  it('never puts back a marker older than the one an update wrote while it was reading', async () => {
    const durable = heldReads(memoryNotificationStore().marks);
    const marks = new RedisCachedDocuments(durable, redis, prefix());
    await durable.update('ann', () => ({ _id: 'ann', readUpTo: '2026-01-01T00:00:00.000Z' }));
    durable.hold();
    const slowRead = marks.get('ann');
    while (durable.reads === 0) await new Promise((resolve) => setImmediate(resolve));
    // The update lands between the durable read and the copy that read leaves.
    await marks.update('ann', () => ({ _id: 'ann', readUpTo: '2026-01-02T00:00:00.000Z' }));
    durable.release();
    expect(await slowRead).toEqual({ _id: 'ann', readUpTo: '2026-01-01T00:00:00.000Z' });
    expect(await marks.get('ann')).toEqual({ _id: 'ann', readUpTo: '2026-01-02T00:00:00.000Z' });
  });
});
