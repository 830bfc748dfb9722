import { newId } from '@gram/service-kit';
import { injectServer } from '@gram/test-servers/inject';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { PasswordHasher } from '../passwords/password-hasher.js';
import { IdentityHarness, newSignup } from '../testing/identity-harness.js';
import { type AccessLimitSettings, AccessLimits, defaultAccessLimits } from './access-limits.js';

const redisUrl = injectServer('redisUrl');

/** Counts the passwords it checks: what a guesser gets through to. Small scrypt parameters keep it quick. */
class CountingHasher extends PasswordHasher {
  checks = 0;
  constructor() {
    super({ N: 2 ** 10, r: 8, p: 1 });
  }
  override verify(password: string, encoded: string): Promise<boolean> {
    this.checks += 1;
    return super.verify(password, encoded);
  }
}

const limits = (overrides: Partial<AccessLimitSettings>): AccessLimitSettings => ({
  ...defaultAccessLimits,
  signupsPerAddress: 1_000,
  ...overrides,
});

const harnesses: IdentityHarness[] = [];
afterEach(async () => {
  for (const harness of harnesses.splice(0)) await harness.stop();
});

async function identity(limiter: Promise<AccessLimits>) {
  const passwords = new CountingHasher();
  const harness = await IdentityHarness.start({ passwords, limits: await limiter });
  harnesses.push(harness);
  const body = newSignup();
  expect((await harness.signup(body)).statusCode).toBe(201);
  passwords.checks = 0;
  return { harness, passwords, body };
}

const statuses = (answers: { statusCode: number }[]) => {
  const count: Record<number, number> = {};
  for (const { statusCode } of answers) count[statusCode] = (count[statusCode] ?? 0) + 1;
  return count;
};

/**
 * The same rules against both counter stores: in this process's memory (the embedded mode) and in
 * Redis (the distributed mode, shared by identity's replicas).
 */
const stores: [string, (settings: AccessLimitSettings) => Promise<AccessLimits>][] = [
  ['in memory', async (settings) => AccessLimits.inMemory(settings)],
];
const clients: Redis[] = [];
/** Connected: until then the limiters count in their in-memory insurance, per client. */
const redisClient = async () => {
  const redis = new Redis(redisUrl as string, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  clients.push(redis);
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  return redis;
};
if (redisUrl !== undefined) {
  // Every test has its own keys: the Redis server is shared by the whole run.
  stores.push([
    'in Redis',
    async (settings) => AccessLimits.inRedis(await redisClient(), settings, `test-${newId()}`),
  ]);
}
afterAll(() => {
  for (const redis of clients) redis.disconnect();
});

describe.each(stores)('login and signup limits, counted %s', (_store, counted) => {
  it('lets at most the limit of 40 parallel wrong guesses at one account reach the password check; the rest answer 429', async () => {
    const { harness, passwords, body } = await identity(
      counted(limits({ loginFailuresPerAccountAndAddress: 5 })),
    );
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => harness.login(body.userName, `wrong guess ${i}`, '198.51.100.1')),
    );
    expect(passwords.checks).toBeLessThanOrEqual(5);
    expect(statuses(answers)).toEqual({ 401: passwords.checks, 429: 40 - passwords.checks });
    const refused = answers.find((a) => a.statusCode === 429);
    expect(refused?.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused?.json()).toMatchObject({ status: 429, code: 'rate-limited' });
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThan(14 * 60);
  });

  it('counts the userName, the email and the phone number of one account as one', async () => {
    const { harness, passwords, body } = await identity(
      counted(limits({ loginFailuresPerAccountAndAddress: 3 })),
    );
    const address = '198.51.100.2';
    for (const login of [body.userName, body.email.toUpperCase(), body.phoneNo]) {
      expect((await harness.login(login, 'wrong guess', address)).statusCode).toBe(401);
    }
    for (const login of [body.userName, body.email, body.phoneNo]) {
      expect((await harness.login(login, body.password, address)).statusCode).toBe(429);
    }
    expect(passwords.checks).toBe(3);
  });

  it('gives a success its count back: failures short of the limit followed by the right password never lock', async () => {
    const { harness, body } = await identity(
      // Six failures and three successes from one address: only the failures count against its 7.
      counted(
        limits({
          loginFailuresPerAccountAndAddress: 3,
          loginFailuresPerAccount: 100,
          loginFailuresPerAddress: 7,
        }),
      ),
    );
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 2; i++)
        expect((await harness.login(body.userName, 'wrong', '198.51.100.3')).statusCode).toBe(401);
      expect((await harness.login(body.userName, body.password, '198.51.100.3')).statusCode).toBe(200);
    }
  });

  it("does not let strangers lock the owner out: past the account's limit, addresses it logged in from still get through", async () => {
    const { harness, body } = await identity(
      counted(limits({ loginFailuresPerAccountAndAddress: 2, loginFailuresPerAccount: 4 })),
    );
    const owner = '198.51.100.10';
    expect((await harness.login(body.userName, body.password, owner)).statusCode).toBe(200);
    // Two guessers use up the account's failures, each within its own (account, address) limit.
    for (const guesser of ['203.0.113.1', '203.0.113.2']) {
      for (let i = 0; i < 2; i++)
        expect((await harness.login(body.email, 'guess', guesser)).statusCode).toBe(401);
    }
    // A third address is refused even with the right password: the account is closed to new addresses...
    const stranger = await harness.login(body.userName, body.password, '203.0.113.3');
    expect(stranger.statusCode).toBe(429);
    expect(Number(stranger.headers['retry-after'])).toBeGreaterThan(14 * 60);
    // ...but not to the owner's known address.
    expect((await harness.login(body.phoneNo, body.password, owner)).statusCode).toBe(200);
  });

  it('limits one address spraying guesses over many accounts, and only that address', async () => {
    const { harness, body } = await identity(counted(limits({ loginFailuresPerAddress: 3 })));
    for (let i = 0; i < 3; i++) {
      expect(
        (await harness.login(`nobody_${i}_${newId().slice(-6)}`, 'guess', '203.0.113.20')).statusCode,
      ).toBe(401);
    }
    const fromThere = await harness.login(body.userName, body.password, '203.0.113.20');
    expect(fromThere.statusCode).toBe(429);
    expect(Number(fromThere.headers['retry-after'])).toBeGreaterThan(59 * 60);
    expect((await harness.login(body.userName, body.password, '203.0.113.21')).statusCode).toBe(200);
  });

  it('lets at most the limit of 30 parallel guesses from one address, spread over many logins, reach a password check', async () => {
    const { harness, passwords } = await identity(counted(limits({ loginFailuresPerAddress: 10 })));
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        harness.login(`sprayed_${i}_${newId().slice(-6)}`, 'guess', '203.0.113.25'),
      ),
    );
    expect(passwords.checks).toBeLessThanOrEqual(10);
    expect(statuses(answers)).toEqual({ 401: passwords.checks, 429: 30 - passwords.checks });
  });

  it('limits a login that names no account exactly like one that does, so a 429 tells nothing', async () => {
    const { harness, passwords } = await identity(counted(limits({ loginFailuresPerAccountAndAddress: 2 })));
    const unknown = `nobody_${newId().slice(-8)}`;
    const answers = [];
    for (let i = 0; i < 4; i++)
      answers.push((await harness.login(unknown, 'guess', '203.0.113.30')).statusCode);
    expect(answers).toEqual([401, 401, 429, 429]);
    // The unknown login's dummy check ran for the two that were let through, as for an account.
    expect(passwords.checks).toBe(2);
  });

  it('limits signups per address with 429 and Retry-After, whether they succeed or not; other addresses go on', async () => {
    const { harness } = await identity(counted(limits({ signupsPerAddress: 3 })));
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => harness.signup(newSignup(), '203.0.113.40')),
    );
    expect(statuses(answers)).toEqual({ 201: 3, 429: 7 });
    const refused = answers.find((a) => a.statusCode === 429);
    expect(refused?.json()).toMatchObject({ status: 429, code: 'rate-limited' });
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThan(59 * 60);
    expect((await harness.signup(newSignup(), '203.0.113.41')).statusCode).toBe(201);
  });
});

describe('password hashing capacity', () => {
  it('answers 503 busy with Retry-After to the signups and logins that would wait past the hashing queue', async () => {
    const passwords = new PasswordHasher(undefined, { concurrency: 1, waiting: 2 });
    const harness = await IdentityHarness.start({ passwords, limits: AccessLimits.inMemory(limits({})) });
    harnesses.push(harness);
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => harness.signup(newSignup(), `203.0.113.${100 + i}`)),
    );
    const count = statuses(answers);
    expect(count[201]).toBeGreaterThanOrEqual(3);
    expect(count[503]).toBeGreaterThanOrEqual(1);
    expect((count[201] ?? 0) + (count[503] ?? 0)).toBe(12);
    const busy = answers.find((a) => a.statusCode === 503);
    expect(busy?.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(busy?.json()).toMatchObject({ status: 503, code: 'busy' });
    expect(busy?.headers['retry-after']).toBe('1');
  });
});

describe.skipIf(redisUrl === undefined)('login limits in Redis, shared by identity replicas', () => {
  it('admits exactly the limit of 40 attempts sent at once through two replicas', async () => {
    const prefix = `test-${newId()}`;
    const settings = limits({ loginFailuresPerAccountAndAddress: 5 });
    const replicas = [
      AccessLimits.inRedis(await redisClient(), settings, prefix),
      AccessLimits.inRedis(await redisClient(), settings, prefix),
    ];
    const waits = await Promise.all(
      Array.from({ length: 40 }, (_, i) => replicas[i % 2]?.admitLogin('account:one', '198.51.100.50')),
    );
    expect(waits.filter((wait) => wait === undefined)).toHaveLength(5);
  });

  it('keeps limiting, in memory, while Redis cannot be reached', async () => {
    const down = new Redis('redis://127.0.0.1:1', {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
    });
    down.on('error', () => {});
    clients.push(down);
    const limiter = AccessLimits.inRedis(
      down,
      limits({ loginFailuresPerAccountAndAddress: 2 }),
      `test-${newId()}`,
    );
    const waits = [];
    for (let i = 0; i < 3; i++) waits.push(await limiter.admitLogin('account:two', '198.51.100.51'));
    expect(waits.slice(0, 2)).toEqual([undefined, undefined]);
    expect(waits[2]).toBeGreaterThan(0);
  });
});
