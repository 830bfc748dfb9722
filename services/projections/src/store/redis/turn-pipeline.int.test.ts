import { injectServer } from '@gram/test-servers/inject';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isTransientStoreError } from '../transient-errors.js';
import { TurnPipeline } from './turn-pipeline.js';

const redisUrl = injectServer('redisUrl');

describe.skipIf(redisUrl === undefined)('the Redis writes of a turn, sent as one pipeline', () => {
  let redis: Redis;
  const prefix = `turn-pipeline-test:${Date.now()}:`;
  beforeAll(() => {
    redis = new Redis(redisUrl as string);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('sends the writes begun in one turn as one pipeline, in their order, each caller answered its own replies', async () => {
    const writes = new TurnPipeline(redis);
    const pipelines = vi.spyOn(redis, 'pipeline');
    const list = `${prefix}list`;
    const [first, second, third] = await Promise.all([
      writes.run((p) => p.rpush(list, 'a').rpush(list, 'b')),
      writes.run((p) => p.rpush(list, 'c')),
      writes.run((p) => p.lrange(list, 0, -1)),
    ]);
    expect(pipelines).toHaveBeenCalledTimes(1);
    pipelines.mockRestore();
    expect(first).toEqual([
      [null, 1],
      [null, 2],
    ]);
    expect(second).toEqual([[null, 3]]);
    expect(third).toEqual([[null, ['a', 'b', 'c']]]);
    // The next turn's writes are a pipeline of their own.
    expect(await writes.run((p) => p.llen(list))).toEqual([[null, 3]]);
  });

  it('fails only the caller whose command failed, and answers a caller that added nothing at once', async () => {
    const writes = new TurnPipeline(redis);
    const text = `${prefix}text`;
    await redis.set(text, 'a string');
    const [refused, fine, none] = await Promise.allSettled([
      writes.runOrThrow((p) => p.zadd(text, 1, 'member')),
      writes.runOrThrow((p) => p.set(`${prefix}other`, 'x')),
      writes.runOrThrow(() => {}),
    ]);
    expect(refused.status).toBe('rejected');
    expect(String((refused as PromiseRejectedResult).reason)).toMatch(/WRONGTYPE/);
    expect(fine).toEqual({ status: 'fulfilled', value: [[null, 'OK']] });
    expect(none).toEqual({ status: 'fulfilled', value: [] });
  });

  it('fails every caller of the turn when the pipeline cannot be sent', async () => {
    const closed = new Redis(redisUrl as string, { lazyConnect: true, maxRetriesPerRequest: 0 });
    closed.disconnect();
    const writes = new TurnPipeline(closed);
    const results = await Promise.allSettled([
      writes.runOrThrow((p) => p.set(`${prefix}a`, '1')),
      writes.runOrThrow((p) => p.set(`${prefix}b`, '2')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    // The client's own error, which the workers call transient (isTransientStoreError) and wait out.
    for (const result of results)
      expect(isTransientStoreError((result as PromiseRejectedResult).reason)).toBe(true);
  });
});
