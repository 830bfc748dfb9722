import { newId } from '@gram/service-kit';
import { injectServer } from '@gram/test-servers/inject';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { closedPortUrl } from '../../test/fake-services.js';
import { RateLimits } from './rate-limits.js';

const redisUrl = injectServer('redisUrl');

describe.skipIf(redisUrl === undefined)('rate limits counted in Redis (distributed mode)', () => {
  const clients: Redis[] = [];
  const client = (url = redisUrl as string) => {
    const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
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
  const settings = { loginFailuresPerLogin: 3, loginFailuresPerIp: 5, writesPerUserPerMinute: 2 };
  // Every test has its own keys: the Redis server is shared by the whole run.
  const prefix = () => `test-${newId()}`;

  it('shares the failures of a login between gateway replicas, and clears them on a success', async () => {
    const keys = prefix();
    const [one, two] = [
      RateLimits.inRedis(await ready(client()), settings, keys),
      RateLimits.inRedis(await ready(client()), settings, keys),
    ];
    await one.loginFailed('alice', '10.0.0.1');
    await two.loginFailed('alice', '10.0.0.2');
    expect(await one.loginLockout('alice', '10.0.0.3')).toBeUndefined();
    await one.loginFailed('alice', '10.0.0.3');
    const wait = await two.loginLockout('alice', '10.0.0.4');
    expect(wait).toBeGreaterThan(14 * 60);
    expect(wait).toBeLessThanOrEqual(15 * 60);

    await two.loginSucceeded('alice');
    expect(await one.loginLockout('alice', '10.0.0.4')).toBeUndefined();
  });

  it('locks out an IP address after its failures across logins, and keeps the count past a success', async () => {
    const limits = RateLimits.inRedis(await ready(client()), settings, prefix());
    for (let i = 0; i < 4; i++) await limits.loginFailed(`user-${i}`, '10.0.0.9');
    await limits.loginSucceeded('user-0');
    expect(await limits.loginLockout('someone-else', '10.0.0.9')).toBeUndefined();
    await limits.loginFailed('user-4', '10.0.0.9');
    expect(await limits.loginLockout('someone-else', '10.0.0.9')).toBeGreaterThan(59 * 60);
  });

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

  it('keeps limiting, in this process’s memory, while Redis cannot be reached', async () => {
    const limits = RateLimits.inRedis(client(await redisDown()), settings, prefix());
    for (let i = 0; i < 3; i++) await limits.loginFailed('dave', '10.0.1.1');
    expect(await limits.loginLockout('dave', '10.0.1.1')).toBeGreaterThan(0);
    expect(await limits.write('dave')).toBeUndefined();
  });
});

async function redisDown(): Promise<string> {
  return (await closedPortUrl()).replace('http://', 'redis://');
}
