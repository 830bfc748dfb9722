import { type RateLimitSettings, trustProxyFromEnv } from '@gram/gateway';
import type { AccessLimitSettings } from '@gram/identity';
import type { ServiceApp } from '@gram/service-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { embeddedGateway, newUser } from '../test/embedded-gateway.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function gateway(
  limits: Partial<RateLimitSettings> & Partial<AccessLimitSettings>,
  trustProxy?: string,
) {
  const built = await embeddedGateway({
    rateLimits: limits,
    accessLimits: limits,
    ...(trustProxy ? { trustProxy: trustProxyFromEnv(trustProxy) } : {}),
  });
  closers.push(built.close);
  return built.app;
}

const login = (
  app: ServiceApp,
  body: { login: string; password: string },
  remoteAddress = '10.0.0.1',
  forwardedFor?: string,
) =>
  app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: body,
    remoteAddress,
    ...(forwardedFor ? { headers: { 'x-forwarded-for': forwardedFor } } : {}),
  });

// Identity counts failed logins per client address (services/identity/src/limits); in the embedded mode
// it is mounted behind the gateway's edge, which tells it the client's address.
describe('the client address behind proxies (TRUST_PROXY)', () => {
  it.each([
    ['a trusted proxy (its address)', '10.0.0.1', '10.0.0.1'],
    ['the nearest proxy (a hop count)', '1', '10.0.0.7'],
  ])(
    'counts failures per client named by %s, so one client cannot lock out the others',
    async (_, trustProxy, proxy) => {
      const app = await gateway({ loginFailuresPerAddress: 3 }, trustProxy);
      const user = await newUser(app);
      const right = { login: user.userName, password: 'correct horse battery' };
      for (let i = 0; i < 3; i++) {
        const res = await login(app, { login: `nobody_${i}`, password: 'wrong' }, proxy, '203.0.113.5');
        expect(res.statusCode).toBe(401);
      }
      expect((await login(app, right, proxy, '203.0.113.5')).statusCode).toBe(429);
      expect((await login(app, right, proxy, '203.0.113.6')).statusCode).toBe(200);
    },
  );

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy: a client cannot pick its address', async () => {
    const app = await gateway({ loginFailuresPerAddress: 3 });
    const user = await newUser(app);
    for (let i = 0; i < 3; i++) {
      const res = await login(
        app,
        { login: `nobody_${i}`, password: 'wrong' },
        '10.0.0.9',
        `198.51.100.${i}`,
      );
      expect(res.statusCode).toBe(401);
    }
    const again = await login(
      app,
      { login: user.userName, password: 'correct horse battery' },
      '10.0.0.9',
      '198.51.100.200',
    );
    expect(again.statusCode).toBe(429);
  });

  it('reads TRUST_PROXY as a hop count or a list of addresses, and refuses a bare true', () => {
    expect(trustProxyFromEnv(undefined)).toBeUndefined();
    expect(trustProxyFromEnv(' ')).toBeUndefined();
    const oneHop = trustProxyFromEnv('1') as (address: string, hop: number) => boolean;
    expect([oneHop('198.51.100.4', 0), oneHop('10.0.0.1', 1)]).toEqual([true, false]);
    expect(trustProxyFromEnv('loopback, 10.0.0.0/8')).toEqual(['loopback', '10.0.0.0/8']);
    expect(() => trustProxyFromEnv('true')).toThrow(/hop count/);
  });
});

describe('writes per user', () => {
  it('answers 429 with Retry-After past the limit, for that user only, and never limits reads', async () => {
    const app = await gateway({ writesPerUserPerMinute: 3 });
    const [alice, bob] = [await newUser(app), await newUser(app)];
    const post = (user: { token: string }) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/posts',
        headers: { authorization: `Bearer ${user.token}` },
        payload: { photo: 'https://img.example.com/a.jpg' },
      });
    for (let i = 0; i < 3; i++) expect((await post(alice)).statusCode).toBe(201);
    const refused = await post(alice);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    const wait = Number(refused.headers['retry-after']);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);

    expect((await post(bob)).statusCode).toBe(201);
    const read = await app.inject({
      method: 'GET',
      url: '/api/v1/feed',
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(read.statusCode).toBe(200);
  });

  it('does not count the auth routes as writes', async () => {
    const app = await gateway({ writesPerUserPerMinute: 1 });
    const user = await newUser(app);
    for (let i = 0; i < 3; i++) {
      const refresh = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        headers: { authorization: `Bearer ${user.token}` },
        payload: { refreshToken: 'not-a-refresh-token' },
      });
      expect(refresh.statusCode).toBe(401);
    }
  });
});
