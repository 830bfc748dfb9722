import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { injectServer } from '../src/inject.js';

const redisUrl = injectServer('redisUrl');

describe.skipIf(redisUrl === undefined)('the Redis test server', () => {
  let redis: Redis;
  // Other test files share the server: every key of this file lives under its own prefix.
  const prefix = `smoke:${randomUUID()}`;

  beforeAll(() => {
    redis = new Redis(redisUrl ?? '');
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('answers PING', async () => {
    expect(await redis.ping()).toBe('PONG');
  });

  it('keeps a sorted set ordered by score, newest first, and caps it by rank', async () => {
    const feed = `${prefix}:feed`;
    // A home feed: post ids scored by time.
    await redis.zadd(feed, 100, 'post-a', 300, 'post-c', 200, 'post-b', 400, 'post-d');

    expect(await redis.zrevrange(feed, 0, -1, 'WITHSCORES')).toEqual([
      'post-d',
      '400',
      'post-c',
      '300',
      'post-b',
      '200',
      'post-a',
      '100',
    ]);

    // Keep the 3 newest: ranks are ascending by score, so dropping ranks 0..-(cap+1) drops the oldest.
    const cap = 3;
    expect(await redis.zremrangebyrank(feed, 0, -(cap + 1))).toBe(1);
    expect(await redis.zrevrange(feed, 0, -1)).toEqual(['post-d', 'post-c', 'post-b']);
  });

  it('re-adding a member moves it instead of duplicating it', async () => {
    const feed = `${prefix}:readd`;
    await redis.zadd(feed, 1, 'post-a', 2, 'post-b');
    await redis.zadd(feed, 3, 'post-a');

    expect(await redis.zrevrange(feed, 0, -1)).toEqual(['post-a', 'post-b']);
    expect(await redis.zcard(feed)).toBe(2);
  });
});
