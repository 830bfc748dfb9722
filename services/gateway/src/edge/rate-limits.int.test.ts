import { newId } from '@gram/service-kit';
import { injectServer } from '@gram/test-servers/inject';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { closedPortUrl } from '../../test/fake-services.js';
import { RateLimits, rateLimitsRedis } from './rate-limits.js';

const redisUrl = injectServer('redisUrl');

describe.skipIf(redisUrl === undefined)('rate limits counted in Redis (distributed mode)', () => {
  const clients: Redis[] = [];
  const client = (url = redisUrl as string) => {
    const redis = rateLimitsRedis(url);
    redis.on('error', () => {});
    clients.push(redis);
    return redis;
  };
  const ready = async (redis: Redis) => {
    if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
    return redis;
  };
  afterAll(() => {
    for (const redis of clients) redis.disconnect();
  });
  const settings = { writesPerUserPerMinute: 2 };
  // Every test has its own keys: the Redis server is shared by the whole run.
  const prefix = () => `test-${newId()}`;

  it('counts the writes of a user across replicas, within a minute', async () => {
    const keys = prefix();
    const [one, two] = [
      RateLimits.inRedis(await ready(client()), settings, keys),
      RateLimits.inRedis(await ready(client()), settings, keys),
    ];
    expect(await one.write('bob')).toBeUndefined();
    expect(await two.write('bob')).toBeUndefined();
    const wait = await one.write('bob');
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    expect(await two.write('carol')).toBeUndefined();
  });

  it('sends the counts of one turn to Redis in one socket write, and lets exactly the limit through', async () => {
    const redis = await ready(client());
    const limits = RateLimits.inRedis(redis, settings, prefix());
    const socketWrites = vi.spyOn(redis.stream, 'write');
    const answers = await Promise.all(Array.from({ length: 20 }, () => limits.write('erin')));
    expect(socketWrites).toHaveBeenCalledTimes(1);
    socketWrites.mockRestore();
    expect(answers.filter((wait) => wait === undefined)).toHaveLength(settings.writesPerUserPerMinute);
    expect(await limits.write('frank')).toBeUndefined();
  });

  it('keeps limiting, in this process’s memory, while Redis cannot be reached', async () => {
    const limits = RateLimits.inRedis(client(await redisDown()), settings, prefix());
    for (let i = 0; i < 2; i++) expect(await limits.write('dave')).toBeUndefined();
    expect(await limits.write('dave')).toBeGreaterThan(0);
  });
});

async function redisDown(): Promise<string> {
  return (await closedPortUrl()).replace('http://', 'redis://');
}
