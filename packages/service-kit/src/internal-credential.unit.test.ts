import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { createServiceApp } from './app.js';
import { authentication, caller } from './auth.js';
import {
  internalCredentialHeader,
  internalCredentialHeaders,
  internalSecretFromEnv,
  isInternalCredential,
} from './internal-credential.js';
import { problems } from './problem.js';
import { createTestTokenIssuer } from './testing.js';

const secret = 'a-secret-of-at-least-thirty-two-bytes-0123456789';

async function internalService() {
  const app = createServiceApp({ name: 'test', internalSecret: secret });
  const issuer = await createTestTokenIssuer();
  await app.register(authentication, { verifier: issuer.verifier });
  app.get('/me', { preHandler: app.requireAuth }, async (request) => ({ id: caller(request).userId }));
  app.post(
    '/internal/v1/thing',
    {
      schema: {
        body: Type.Object({ name: Type.String() }),
        response: { 200: Type.Object({ ok: Type.Boolean() }), ...problems(400, 401) },
      },
    },
    async () => ({ ok: true }),
  );
  app.get('/client-address', async (request) => ({ ip: request.ip }));
  return { app, issuer };
}

describe('a service of the distributed mode', () => {
  it('answers 401 problem+json without the internal credential, on a route, an internal route and an unknown path', async () => {
    const { app } = await internalService();
    for (const request of [
      { method: 'GET' as const, url: '/me' },
      { method: 'POST' as const, url: '/internal/v1/thing', payload: { name: 'x' } },
      { method: 'GET' as const, url: '/no/such/route' },
      { method: 'GET' as const, url: '/openapi.json' },
    ]) {
      const res = await app.inject(request);
      expect(res.statusCode, request.url).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 401, title: 'Unauthorized' });
    }
  });

  it('answers 401 to a wrong credential, whatever its length, and to the credential sent twice', async () => {
    const { app } = await internalService();
    for (const presented of [
      'wrong',
      `${secret}x`,
      secret.slice(0, -1),
      secret.toUpperCase(),
      '',
      [secret, secret],
    ]) {
      const res = await app.inject({
        method: 'POST',
        url: '/internal/v1/thing',
        headers: { [internalCredentialHeader]: presented },
        payload: { name: 'x' },
      });
      expect(res.statusCode, JSON.stringify(presented)).toBe(401);
    }
  });

  it('serves a request that carries the credential as it would any other', async () => {
    const { app, issuer } = await internalService();
    const ok = await app.inject({
      method: 'POST',
      url: '/internal/v1/thing',
      headers: internalCredentialHeaders(secret),
      payload: { name: 'x' },
    });
    expect(ok.statusCode).toBe(200);
    const token = await issuer.mint('user-1');
    const me = await app.inject({
      method: 'GET',
      url: '/me',
      headers: { ...internalCredentialHeaders(secret), authorization: `Bearer ${token}` },
    });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual({ id: 'user-1' });
  });

  it('checks the credential before the access token: a caller without it learns nothing of the token', async () => {
    const { app } = await internalService();
    const res = await app.inject({
      method: 'GET',
      url: '/me',
      headers: { authorization: 'Bearer not-a-jwt' },
    });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it('leaves /health open, for the container’s health check', async () => {
    const { app } = await internalService();
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
  });

  it('takes the client’s address from X-Forwarded-For on a request that carries the credential', async () => {
    const { app } = await internalService();
    const res = await app.inject({
      method: 'GET',
      url: '/client-address',
      remoteAddress: '10.0.0.2',
      headers: { ...internalCredentialHeaders(secret), 'x-forwarded-for': '203.0.113.7' },
    });
    expect(res.json()).toEqual({ ip: '203.0.113.7' });
  });
});

describe('a service without an internal secret (tests, the embedded mode’s routes)', () => {
  it('serves every request and ignores X-Forwarded-For', async () => {
    const app = createServiceApp({ name: 'test' });
    app.get('/client-address', async (request) => ({ ip: request.ip }));
    const res = await app.inject({
      method: 'GET',
      url: '/client-address',
      remoteAddress: '10.0.0.2',
      headers: { 'x-forwarded-for': '203.0.113.7' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ip: '10.0.0.2' });
  });
});

describe('the internal secret from the environment', () => {
  it('is INTERNAL_SERVICE_SECRET', () => {
    expect(internalSecretFromEnv({ INTERNAL_SERVICE_SECRET: secret })).toBe(secret);
  });

  it('refuses to start without it, or with one shorter than 32 bytes', () => {
    expect(() => internalSecretFromEnv({})).toThrow(/INTERNAL_SERVICE_SECRET is not set/);
    expect(() => internalSecretFromEnv({ INTERNAL_SERVICE_SECRET: '  ' })).toThrow(/is not set/);
    expect(() => internalSecretFromEnv({ INTERNAL_SERVICE_SECRET: 'x'.repeat(31) })).toThrow(
      /at least 32 bytes/,
    );
  });
});

describe('comparing a presented credential', () => {
  it('accepts the secret only, byte for byte', () => {
    expect(isInternalCredential(secret, secret)).toBe(true);
    expect(isInternalCredential(undefined, secret)).toBe(false);
    expect(isInternalCredential(`${secret} `, secret)).toBe(false);
    expect(isInternalCredential([secret], secret)).toBe(false);
  });
});
