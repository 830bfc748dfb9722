import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { createServiceApp } from './app.js';
import { authentication, caller } from './auth.js';
import { HttpProblem, problems } from './problem.js';
import { createTestTokenIssuer } from './testing.js';

async function buildApp() {
  const app = createServiceApp({ name: 'test' });
  const issuer = await createTestTokenIssuer();
  await app.register(authentication, {
    verifier: issuer.verifier,
    isRevoked: async (c) => c.userId === 'revoked',
  });
  app.post(
    '/things',
    {
      schema: {
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 5 }), count: Type.Integer() }),
        response: { 201: Type.Object({ name: Type.String() }), ...problems(400) },
      },
    },
    async (request, reply) => reply.code(201).send({ name: request.body.name }),
  );
  app.get('/teapot', async () => {
    throw new HttpProblem(409, 'taken', { errors: [{ field: 'userName', message: 'is taken' }] });
  });
  app.get('/boom', async () => {
    throw new Error('secret internals at /srv/app.ts:42');
  });
  app.get('/me', { preHandler: app.requireAuth }, async (request) => ({ id: caller(request).userId }));
  return { app, issuer };
}

describe('service app', () => {
  it('answers a schema violation with 400 problem details naming each field', async () => {
    const { app } = await buildApp();
    const res = await app.inject({ method: 'POST', url: '/things', payload: { name: 'toolong' } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json();
    expect(body).toMatchObject({ status: 400, title: 'Bad Request', type: expect.any(String) });
    expect(body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['count', 'name']);
  });

  it('answers malformed JSON with 400, not 500', async () => {
    const { app } = await buildApp();
    const res = await app.inject({
      method: 'POST',
      url: '/things',
      headers: { 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().status).toBe(400);
  });

  it('answers an unknown route with a 404 problem', async () => {
    const { app } = await buildApp();
    const res = await app.inject({ method: 'GET', url: '/nope?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ status: 404, detail: 'no route for GET /nope' });
  });

  it('renders an HttpProblem with its status and field errors', async () => {
    const { app } = await buildApp();
    const res = await app.inject({ method: 'GET', url: '/teapot' });
    expect(res.statusCode).toBe(409);
    expect(res.json().errors).toEqual([{ field: 'userName', message: 'is taken' }]);
  });

  it('hides the details of an unexpected error behind a generic 500', async () => {
    const { app } = await buildApp();
    const res = await app.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret');
  });

  it('echoes the caller request id, or issues one', async () => {
    const { app } = await buildApp();
    const given = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers['x-request-id']).toBe('abc-123');
    const issued = await app.inject({ method: 'GET', url: '/health' });
    expect(issued.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('authentication', () => {
  it('accepts a valid token and exposes the caller', async () => {
    const { app, issuer } = await buildApp();
    const token = await issuer.mint('user-1');
    const res = await app.inject({
      method: 'GET',
      url: '/me',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: 'user-1' });
  });

  it.each([
    ['missing', undefined],
    ['malformed', 'Bearer not a token'],
    ['not bearer', 'Basic dXNlcjpwYXNz'],
  ])('answers 401 for a %s token', async (_name, header) => {
    const { app } = await buildApp();
    const res = await app.inject({
      method: 'GET',
      url: '/me',
      headers: header ? { authorization: header } : {},
    });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toContain('Bearer');
  });

  it('answers 401 for an expired, a tampered, a foreign or a revoked token', async () => {
    const { app, issuer } = await buildApp();
    const other = await createTestTokenIssuer();
    const good = await issuer.mint('user-1');
    const [h, p, s] = good.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ sub: 'admin', sid: 'x' })).toString('base64url')}.${s}`;
    expect(p).toBeDefined();
    for (const token of [
      await issuer.mint('user-1', { expiresIn: '-1s' }),
      tampered,
      await other.mint('user-1'),
      await issuer.mint('revoked'),
    ]) {
      const res = await app.inject({
        method: 'GET',
        url: '/me',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.statusCode).toBe(401);
    }
  });
});
