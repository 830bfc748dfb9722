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
  app.get(
    '/counted',
    { schema: { querystring: Type.Object({ limit: Type.Integer({ default: 20 }) }) } },
    async (request) => ({ limit: request.query.limit }),
  );
  app.get('/teapot', async () => {
    throw new HttpProblem(409, 'taken', { errors: [{ field: 'userName', message: 'is taken' }] });
  });
  app.get('/boom', async () => {
    throw new Error('secret internals at /srv/app.ts:42');
  });
  app.get('/outage', async () => {
    throw Object.assign(new Error('key store at 10.0.0.7:6379 refused'), { statusCode: 503 });
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
    expect(body).toMatchObject({
      status: 400,
      title: 'Bad Request',
      type: expect.any(String),
      code: 'validation',
    });
    expect(body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['count', 'name']);
  });

  it('validates a JSON body as sent: a number or null where a string belongs is a 400, not coerced', async () => {
    const { app } = await buildApp();
    for (const payload of [
      { name: 12345, count: 1 },
      { name: null, count: 1 },
      { name: 'ok', count: '3' },
      { name: false, count: 1 },
    ]) {
      const res = await app.inject({ method: 'POST', url: '/things', payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().errors.length).toBeGreaterThan(0);
    }
  });

  it('coerces query string values to the schema types, with their defaults', async () => {
    const { app } = await buildApp();
    expect((await app.inject({ method: 'GET', url: '/counted?limit=5' })).json()).toEqual({ limit: 5 });
    expect((await app.inject({ method: 'GET', url: '/counted' })).json()).toEqual({ limit: 20 });
    expect((await app.inject({ method: 'GET', url: '/counted?limit=x' })).statusCode).toBe(400);
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

  it('refuses a JSON body nested deeper than 32 levels with 400 (code validation) before anything parses it', async () => {
    const { app } = await buildApp();
    for (const payload of [
      `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`,
      `${'['.repeat(5000)}${']'.repeat(5000)}`,
      `{"name":${'['.repeat(33)}${']'.repeat(33)},"count":1}`,
    ]) {
      const res = await app.inject({
        method: 'POST',
        url: '/things',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(res.statusCode, payload.slice(0, 40)).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({
        status: 400,
        code: 'validation',
        detail: 'the JSON body is nested deeper than 32 levels',
      });
    }
  });

  it('parses a JSON body nested 32 levels deep, and does not count brackets inside strings', async () => {
    const { app } = await buildApp();
    for (const payload of [
      `{"name":${'['.repeat(31)}${']'.repeat(31)},"count":1}`,
      `{"name":"${'[{'.repeat(100)}\\"[","count":1}`,
    ]) {
      const res = await app.inject({
        method: 'POST',
        url: '/things',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(res.statusCode, payload.slice(0, 40)).toBe(400);
      expect(res.json(), payload.slice(0, 40)).toMatchObject({
        detail: 'the body is invalid',
        errors: [{ field: 'name' }],
      });
    }
  });

  it('answers a malformed Content-Type with 400 and an unsupported type or charset with 415, each with its code', async () => {
    const { app } = await buildApp();
    const send = (type: string) =>
      app.inject({
        method: 'POST',
        url: '/things',
        headers: { 'content-type': type },
        payload: '{"name":"ok","count":1}',
      });
    for (const type of [
      'application/json;;;=;charset',
      'application/json; charset',
      'application/json;=',
      '/',
      'application/',
    ]) {
      const res = await send(type);
      expect(res.statusCode, type).toBe(400);
      expect(res.json(), type).toMatchObject({
        status: 400,
        code: 'validation',
        detail: 'the Content-Type header is malformed',
      });
    }
    for (const type of [
      'application/json; charset=utf-16',
      'text/xml',
      'application/x-www-form-urlencoded',
    ]) {
      const res = await send(type);
      expect(res.statusCode, type).toBe(415);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json(), type).toMatchObject({ status: 415, code: 'unsupported-media-type' });
    }
    const untyped = await app.inject({
      method: 'POST',
      url: '/things',
      payload: Buffer.from('{"name":"ok"}'),
    });
    expect(untyped.statusCode).toBe(415);
    expect(untyped.json()).toMatchObject({ status: 415, code: 'unsupported-media-type' });
    for (const type of [
      'application/json',
      'Application/JSON ; Charset="UTF-8"',
      'application/json; charset=utf-8',
    ]) {
      expect((await send(type)).statusCode, type).toBe(201);
    }
  });

  it('answers a body over the limit with 413 (code content-too-large)', async () => {
    const app = createServiceApp({ name: 'test', bodyLimit: 64 });
    app.post('/things', async () => ({}));
    const res = await app.inject({ method: 'POST', url: '/things', payload: { name: 'x'.repeat(100) } });
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 413, code: 'content-too-large' });
  });

  it('refuses a query number that is not finite (Infinity, -Infinity, 1e400) with 400 (code validation) naming it', async () => {
    const { app } = await buildApp();
    for (const limit of ['Infinity', '-Infinity', '1e400', 'NaN']) {
      const res = await app.inject({ method: 'GET', url: `/counted?limit=${limit}` });
      expect(res.statusCode, limit).toBe(400);
      expect(res.json(), limit).toMatchObject({ code: 'validation', errors: [{ field: 'limit' }] });
    }
    expect((await app.inject({ method: 'GET', url: '/counted?limit=1e2' })).json()).toEqual({ limit: 100 });
  });

  it('answers an unknown route with a 404 problem', async () => {
    const { app } = await buildApp();
    const res = await app.inject({ method: 'GET', url: '/nope?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ status: 404, code: 'not-found', detail: 'no route for GET /nope' });
  });

  it("answers a path that is not valid percent-encoding with a 400 problem, not fastify's own JSON", async () => {
    const { app } = await buildApp();
    const res = await app.inject({ method: 'GET', url: '/things/%E0%A4%A' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 400, title: 'Bad Request', detail: expect.any(String) });
    expect(res.headers['x-request-id']).toEqual(expect.any(String));
  });

  it('answers a path parameter over the router length limit with a 400 problem, not a 414', async () => {
    const { app } = await buildApp();
    app.get('/things/:name', async () => ({}));
    const res = await app.inject({ method: 'GET', url: `/things/${'a'.repeat(101)}` });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 400, detail: 'a path segment is too long' });
  });

  it('documents error responses as application/problem+json, the media type they are sent with', async () => {
    const { app } = await buildApp();
    await app.ready();
    const document = app.swagger() as unknown as {
      paths: Record<string, Record<string, { responses: Record<string, { content: object }> }>>;
    };
    const responses = document.paths['/things']?.post?.responses;
    expect(Object.keys(responses?.['201']?.content ?? {})).toEqual(['application/json']);
    expect(Object.keys(responses?.['400']?.content ?? {})).toEqual(['application/problem+json']);
    const res = await app.inject({ method: 'POST', url: '/things', payload: {} });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('documents the errors of a route producing another media type (an event stream) as application/problem+json too', async () => {
    const { app } = await buildApp();
    app.get(
      '/stream',
      {
        schema: {
          produces: ['text/event-stream'],
          response: { 200: Type.String(), ...problems(401) },
        },
      },
      async (_request, reply) => reply.type('text/event-stream').send(': hi\n\n'),
    );
    await app.ready();
    const document = app.swagger() as unknown as {
      paths: Record<string, Record<string, { responses: Record<string, { content: object }> }>>;
    };
    const responses = document.paths['/stream']?.get?.responses;
    expect(Object.keys(responses?.['200']?.content ?? {})).toEqual(['text/event-stream']);
    expect(Object.keys(responses?.['401']?.content ?? {})).toEqual(['application/problem+json']);
  });

  it('documents 400, 413 and 415 on every route that takes a JSON body, since any body may be refused so', async () => {
    const { app } = await buildApp();
    await app.ready();
    const document = app.swagger() as unknown as {
      paths: Record<string, Record<string, { responses: Record<string, { content: object }> }>>;
    };
    const responses = document.paths['/things']?.post?.responses ?? {};
    for (const status of ['400', '413', '415']) {
      expect(Object.keys(responses[status]?.content ?? {}), status).toEqual(['application/problem+json']);
    }
    expect(Object.keys(document.paths['/counted']?.get?.responses ?? {})).not.toContain('413');
  });

  it('renders an HttpProblem with its status and field errors', async () => {
    const { app } = await buildApp();
    const res = await app.inject({ method: 'GET', url: '/teapot' });
    expect(res.statusCode).toBe(409);
    expect(res.json().errors).toEqual([{ field: 'userName', message: 'is taken' }]);
  });

  it('gives every problem a kebab-case code: the one it names, else the rule of its status', async () => {
    const { app } = await buildApp();
    app.get('/taken', async () => {
      throw new HttpProblem(409, 'taken', { code: 'taken' });
    });
    const cases: [url: string, method: 'GET' | 'POST', code: string][] = [
      ['/things', 'POST', 'validation'],
      ['/nope', 'GET', 'not-found'],
      ['/me', 'GET', 'unauthorized'],
      ['/teapot', 'GET', 'conflict'],
      ['/taken', 'GET', 'taken'],
      ['/boom', 'GET', 'internal-server-error'],
    ];
    for (const [url, method, code] of cases) {
      const res = await app.inject({ method, url, ...(method === 'POST' ? { payload: {} } : {}) });
      expect(res.json(), `${method} ${url}`).toMatchObject({ code });
    }
  });

  it('hides the details of an unexpected error behind a generic 500', async () => {
    const { app } = await buildApp();
    const res = await app.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret');
  });

  it('answers an error that says it is an outage (statusCode 503) with a 503 to retry, its details kept in the log', async () => {
    const { app } = await buildApp();
    const res = await app.inject({ method: 'GET', url: '/outage' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json()).toMatchObject({ status: 503, code: 'service-unavailable' });
    expect(res.body).not.toContain('10.0.0.7');
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

  it.each(['bearer', 'BEARER', 'BeArEr'])(
    'reads the auth scheme case-insensitively (RFC 9110 §11.1): "%s <token>" is a Bearer token',
    async (scheme) => {
      const { app, issuer } = await buildApp();
      const token = await issuer.mint('user-1');
      const res = await app.inject({
        method: 'GET',
        url: '/me',
        headers: { authorization: `${scheme} ${token}` },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ id: 'user-1' });
    },
  );

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
