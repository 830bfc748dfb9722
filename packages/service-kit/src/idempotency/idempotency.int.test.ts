import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { afterAll, describe, expect, it } from 'vitest';
import { createServiceApp } from '../app.js';
import { authentication, caller } from '../auth.js';
import { newId } from '../ids.js';
import { HttpProblem, problems } from '../problem.js';
import { createTestTokenIssuer } from '../testing.js';
import { idempotency } from './idempotency.js';
import { openSqliteIdempotencyStore } from './sqlite-store.js';
import type { IdempotencyStore } from './store.js';

const dir = mkdtempSync(join(tmpdir(), 'idempotency-app-'));
const stores: IdempotencyStore[] = [];
afterAll(async () => {
  for (const store of stores) await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const issuer = await createTestTokenIssuer();

/** A creating route as the services have them: each run creates a thing with a new id. */
async function buildApp(path = join(dir, `${newId()}.sqlite`)) {
  const store = openSqliteIdempotencyStore({ path });
  stores.push(store);
  const app = createServiceApp({ name: 'test' });
  await app.register(authentication, { verifier: issuer.verifier });
  await app.register(idempotency, { store });
  const created: string[] = [];
  /** while set, a run waits for it before answering: a request still in progress */
  let gate: { entered: () => void; open: Promise<void> } | undefined;
  /** the answers the next runs fail with, before creating anything */
  const failures: HttpProblem[] = [];
  app.post(
    '/things',
    {
      preHandler: app.requireAuth,
      config: { idempotent: {} },
      schema: {
        body: Type.Object({ name: Type.String() }),
        response: { 201: Type.Object({ id: Type.String(), name: Type.String() }), ...problems(400, 401) },
      },
    },
    async (request, reply) => {
      caller(request);
      const failure = failures.shift();
      if (failure) throw failure;
      if (gate) {
        gate.entered();
        await gate.open;
      }
      const id = newId();
      created.push(id);
      return reply
        .code(201)
        .header('x-consistency-token', `p${created.length}`)
        .send({ id, ...request.body });
    },
  );
  app.post(
    '/uploads',
    { preHandler: app.requireAuth, config: { idempotent: { fingerprint: 'in-handler' } } },
    async (request, reply) => {
      // What identifies an upload is known once the handler has read it.
      const what = `${(request.body as { file: string }).file.length} bytes`;
      if (await app.claimIdempotencyKey(request, reply, what)) return reply;
      const id = newId();
      created.push(id);
      return reply.code(201).send({ id });
    },
  );
  const holdRequests = () => {
    let open!: () => void;
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    gate = { entered, open: new Promise<void>((resolve) => (open = resolve)) };
    return {
      inside,
      release: () => {
        gate = undefined;
        open();
      },
    };
  };
  return { app, created, failures, holdRequests, path };
}

const token = (userId = newId()) => issuer.mint(userId);

async function post(
  app: Awaited<ReturnType<typeof buildApp>>['app'],
  bearer: string,
  key: string | undefined,
  payload: object = { name: 'a' },
  url = '/things',
) {
  return app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${bearer}`, ...(key !== undefined ? { 'idempotency-key': key } : {}) },
    payload,
  });
}

describe('Idempotency-Key on a creating route', () => {
  it('answers a repeat with the same key and body what the first answered, creating nothing', async () => {
    const { app, created } = await buildApp();
    const bearer = await token();
    const first = await post(app, bearer, 'key-1', { name: 'a' });
    const repeat = await post(app, bearer, 'key-1', { name: 'a' });
    expect(first.statusCode).toBe(201);
    expect(repeat.statusCode).toBe(201);
    expect(repeat.body).toBe(first.body);
    expect(repeat.headers['x-consistency-token']).toBe(first.headers['x-consistency-token']);
    expect(repeat.headers['content-type']).toBe(first.headers['content-type']);
    expect(created).toHaveLength(1);
  });

  it('takes a body with its fields in another order for the same body', async () => {
    const { app, created } = await buildApp();
    const bearer = await token();
    await post(app, bearer, 'k', { name: 'a', extra: 1 });
    const repeat = await post(app, bearer, 'k', { extra: 1, name: 'a' });
    expect(repeat.statusCode).toBe(201);
    expect(created).toHaveLength(1);
  });

  it('answers 422 idempotency-key-reused to the same key with another body, creating nothing', async () => {
    const { app, created } = await buildApp();
    const bearer = await token();
    await post(app, bearer, 'k', { name: 'a' });
    const other = await post(app, bearer, 'k', { name: 'b' });
    expect(other.statusCode).toBe(422);
    expect(other.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(other.json()).toMatchObject({ status: 422, code: 'idempotency-key-reused' });
    expect(created).toHaveLength(1);
  });

  it('answers 409 idempotency-key-in-progress to a repeat while the first is still running', async () => {
    const { app, created, holdRequests } = await buildApp();
    const bearer = await token();
    const held = holdRequests();
    const first = post(app, bearer, 'k');
    await held.inside;
    const repeat = await post(app, bearer, 'k');
    expect(repeat.statusCode).toBe(409);
    expect(repeat.json()).toMatchObject({ status: 409, code: 'idempotency-key-in-progress' });
    held.release();
    expect((await first).statusCode).toBe(201);
    expect((await post(app, bearer, 'k')).body).toBe((await first).body);
    expect(created).toHaveLength(1);
  });

  it('runs one of many concurrent repeats of one key', async () => {
    const { app, created } = await buildApp();
    const bearer = await token();
    const answers = await Promise.all(Array.from({ length: 10 }, () => post(app, bearer, 'k')));
    expect(created).toHaveLength(1);
    const statuses = answers.map((answer) => answer.statusCode);
    expect(statuses.every((status) => status === 201 || status === 409)).toBe(true);
    for (const answer of answers.filter((a) => a.statusCode === 201)) {
      expect(answer.json().id).toBe(created[0]);
    }
  });

  it("keeps each caller's keys apart: another account's same key creates its own thing", async () => {
    const { app, created } = await buildApp();
    const [mine, theirs] = await Promise.all([post(app, await token(), 'k'), post(app, await token(), 'k')]);
    expect([mine.statusCode, theirs.statusCode]).toEqual([201, 201]);
    expect(mine.json().id).not.toBe(theirs.json().id);
    expect(created).toHaveLength(2);
  });

  it('answers the same key on another path 422: it names another request', async () => {
    const { app } = await buildApp();
    const bearer = await token();
    await post(app, bearer, 'k', { file: 'abc' }, '/uploads');
    expect((await post(app, bearer, 'k', { name: 'a' })).statusCode).toBe(422);
  });

  it('runs again a repeat of a request whose answer was not final (5xx, 429, a 409 conflict)', async () => {
    const { app, created, failures } = await buildApp();
    const bearer = await token();
    failures.push(
      new HttpProblem(503, 'busy'),
      new HttpProblem(429, 'slow down', { code: 'rate-limited' }),
      new HttpProblem(409, 'the post kept changing'),
    );
    for (const status of [503, 429, 409]) expect((await post(app, bearer, 'k')).statusCode).toBe(status);
    expect((await post(app, bearer, 'k')).statusCode).toBe(201);
    expect(created).toHaveLength(1);
  });

  it('gives a refusal that is a decision (a 4xx) again to the repeat', async () => {
    const { app, created, failures } = await buildApp();
    const bearer = await token();
    failures.push(new HttpProblem(404, 'no such post'));
    const first = await post(app, bearer, 'k');
    const repeat = await post(app, bearer, 'k');
    expect([first.statusCode, repeat.statusCode]).toEqual([404, 404]);
    expect(repeat.body).toBe(first.body);
    expect(created).toHaveLength(0);
  });

  it('creates each time without a key', async () => {
    const { app, created } = await buildApp();
    const bearer = await token();
    await post(app, bearer, undefined);
    await post(app, bearer, undefined);
    expect(created).toHaveLength(2);
  });

  it('answers 400 validation to a key that is empty, longer than 255 or not printable ASCII', async () => {
    const { app, created } = await buildApp();
    const bearer = await token();
    for (const key of ['', 'k'.repeat(256), 'clé', 'tab\tkey']) {
      const res = await post(app, bearer, key);
      expect(res.statusCode, JSON.stringify(key)).toBe(400);
      expect(res.json().code).toBe('validation');
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain('idempotency-key');
    }
    expect((await post(app, bearer, `${'k'.repeat(253)} !`)).statusCode).toBe(201);
    expect(created).toHaveLength(1);
  });

  it('answers a repeat after a restart on the same file what the first answered', async () => {
    const before = await buildApp();
    const bearer = await token();
    const first = await post(before.app, bearer, 'k');
    await before.app.close();
    const after = await buildApp(before.path);
    const repeat = await post(after.app, bearer, 'k');
    expect(repeat.statusCode).toBe(201);
    expect(repeat.body).toBe(first.body);
    expect(after.created).toHaveLength(0);
  });

  it('lets a handler that reads the body itself claim the key with what identifies it', async () => {
    const { app, created } = await buildApp();
    const bearer = await token();
    const first = await post(app, bearer, 'k', { file: 'abc' }, '/uploads');
    const repeat = await post(app, bearer, 'k', { file: 'abc' }, '/uploads');
    const other = await post(app, bearer, 'k', { file: 'abcd' }, '/uploads');
    expect([first.statusCode, repeat.statusCode, other.statusCode]).toEqual([201, 201, 422]);
    expect(repeat.body).toBe(first.body);
    expect(created).toHaveLength(1);
  });

  it('documents the header and its 409, 422 and 503 answers in the OpenAPI document', async () => {
    const { app } = await buildApp();
    await app.ready();
    type Operation = { parameters: unknown[]; responses: Record<string, unknown> };
    const { paths } = app.swagger() as unknown as { paths: Record<string, Record<string, Operation>> };
    const operation = paths['/things']?.post as Operation;
    expect(operation.parameters).toContainEqual(
      expect.objectContaining({ in: 'header', name: 'idempotency-key', required: false }),
    );
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['201', '409', '422', '503']));
  });
});
