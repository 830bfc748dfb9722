import { streamIds } from '@gram/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteUser, followStream, registerUser, startService } from '../../test/fixtures.js';

let service: Awaited<ReturnType<typeof startService>>;
beforeAll(async () => {
  service = await startService();
});
afterAll(async () => {
  await service?.close();
});

/** A registered account and a bearer header for it. */
async function signedUp() {
  const id = await registerUser(service.store);
  return { id, auth: { authorization: `Bearer ${await service.issuer.mint(id)}` } };
}

const followUrl = (userId: string) => `/api/v1/users/${userId}/follow`;
const follow = (userId: string, headers: Record<string, string> = {}) =>
  service.app.inject({ method: 'PUT', url: followUrl(userId), headers });
const unfollow = (userId: string, headers: Record<string, string> = {}) =>
  service.app.inject({ method: 'DELETE', url: followUrl(userId), headers });

function expectProblem(
  res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown },
  status: number,
) {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.json()).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
}

describe('PUT /api/v1/users/:userId/follow', () => {
  it('answers 204 and records UserFollowed by the caller, with where it landed in the headers', async () => {
    const me = await signedUp();
    const them = await registerUser(service.store);
    const res = await follow(them, me.auth);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    const recorded = await service.store.readStream(streamIds.follow(me.id, them));
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      type: 'UserFollowed',
      data: { followerId: me.id, followeeId: them, followedAt: expect.any(String) },
      metadata: { actorId: me.id, correlationId: res.headers['x-request-id'], schemaVersion: 1 },
    });
    expect(res.headers['x-stream-revision']).toBe('0');
    expect(res.headers['x-global-position']).toBe(String(recorded[0]?.position));
    expect(res.headers['x-consistency-token']).toEqual(expect.any(String));
  });

  it('answers 204 again when already following and records nothing, pointing at the existing follow', async () => {
    const me = await signedUp();
    const them = await registerUser(service.store);
    const first = await follow(them, me.auth);
    const again = await follow(them, me.auth);
    expect(again.statusCode).toBe(204);
    expect(await followStream(service.store, me.id, them)).toHaveLength(1);
    expect(again.headers['x-stream-revision']).toBe('0');
    expect(again.headers['x-global-position']).toBe(first.headers['x-global-position']);
    expect(again.headers['x-consistency-token']).toBe(first.headers['x-consistency-token']);
  });

  it('answers 400 to a user following themselves and records nothing', async () => {
    const me = await signedUp();
    const res = await follow(me.id, me.auth);
    expectProblem(res, 400);
    expect(res.json().errors).toEqual([{ field: 'userId', message: expect.any(String) }]);
    expect(await followStream(service.store, me.id, me.id)).toEqual([]);
  });

  it('answers 400 to a user following themselves even with their id in upper case', async () => {
    const me = await signedUp();
    expectProblem(await follow(me.id.toUpperCase(), me.auth), 400);
  });

  it('treats an upper-case id as the same account and the same follow', async () => {
    const me = await signedUp();
    const them = await registerUser(service.store);
    expect((await follow(them.toUpperCase(), me.auth)).statusCode).toBe(204);
    expect((await follow(them, me.auth)).statusCode).toBe(204);
    expect(await followStream(service.store, me.id, them)).toHaveLength(1);
  });

  it.each(['not-a-uuid', '12345', '01900000-0000-7000-8000-00000000000g'])(
    'answers 400 naming userId for the malformed id %s',
    async (bad) => {
      const me = await signedUp();
      const res = await follow(bad, me.auth);
      expectProblem(res, 400);
      expect(res.json().errors[0].field).toBe('userId');
    },
  );

  it('answers 404 for a well-formed id of no account', async () => {
    const me = await signedUp();
    const nobody = '01900000-0000-7000-8000-000000000404';
    expectProblem(await follow(nobody, me.auth), 404);
    expect(await followStream(service.store, me.id, nobody)).toEqual([]);
  });

  it('answers 404 for a deleted account', async () => {
    const me = await signedUp();
    const them = await registerUser(service.store);
    await deleteUser(service.store, them);
    expectProblem(await follow(them, me.auth), 404);
    expect(await followStream(service.store, me.id, them)).toEqual([]);
  });

  it('records follow, unfollow, follow as three events', async () => {
    const me = await signedUp();
    const them = await registerUser(service.store);
    expect((await follow(them, me.auth)).statusCode).toBe(204);
    expect((await unfollow(them, me.auth)).statusCode).toBe(204);
    const last = await follow(them, me.auth);
    expect(last.statusCode).toBe(204);
    expect((await followStream(service.store, me.id, them)).map((e) => e.type)).toEqual([
      'UserFollowed',
      'UserUnfollowed',
      'UserFollowed',
    ]);
    expect(last.headers['x-stream-revision']).toBe('2');
  });
});

describe('DELETE /api/v1/users/:userId/follow', () => {
  it('answers 204 and records UserUnfollowed when the caller follows the account', async () => {
    const me = await signedUp();
    const them = await registerUser(service.store);
    await follow(them, me.auth);
    const res = await unfollow(them, me.auth);
    expect(res.statusCode).toBe(204);
    expect(await followStream(service.store, me.id, them)).toEqual([
      expect.objectContaining({ type: 'UserFollowed' }),
      {
        type: 'UserUnfollowed',
        data: { followerId: me.id, followeeId: them, unfollowedAt: expect.any(String) },
      },
    ]);
    expect(res.headers['x-stream-revision']).toBe('1');
  });

  it('answers 204 and records nothing when the caller never followed the account', async () => {
    const me = await signedUp();
    const them = await registerUser(service.store);
    const res = await unfollow(them, me.auth);
    expect(res.statusCode).toBe(204);
    expect(await followStream(service.store, me.id, them)).toEqual([]);
    // No stream: nothing for a read to wait for.
    expect(res.headers['x-stream-revision']).toBe('-1');
    expect(res.headers['x-global-position']).toBe('0');
  });

  it('answers 204 and records nothing when the follow was already taken back', async () => {
    const me = await signedUp();
    const them = await registerUser(service.store);
    await follow(them, me.auth);
    await unfollow(them, me.auth);
    expect((await unfollow(them, me.auth)).statusCode).toBe(204);
    expect(await followStream(service.store, me.id, them)).toHaveLength(2);
  });

  it('answers 400 for a malformed id', async () => {
    const me = await signedUp();
    expectProblem(await unfollow('not-a-uuid', me.auth), 400);
  });

  it('answers 404 for a well-formed id of no account', async () => {
    const me = await signedUp();
    expectProblem(await unfollow('01900000-0000-7000-8000-000000000404', me.auth), 404);
  });

  it('answers 404 for a deleted account, even one the caller followed', async () => {
    const me = await signedUp();
    const them = await registerUser(service.store);
    await follow(them, me.auth);
    await deleteUser(service.store, them);
    expectProblem(await unfollow(them, me.auth), 404);
    expect(await followStream(service.store, me.id, them)).toHaveLength(1);
  });
});

describe.each([
  ['PUT', follow],
  ['DELETE', unfollow],
] as const)('authentication of %s /api/v1/users/:userId/follow', (_verb, send) => {
  it('answers 401 without a token', async () => {
    const them = await registerUser(service.store);
    const res = await send(them);
    expectProblem(res, 401);
    expect(res.headers['www-authenticate']).toContain('Bearer');
  });

  it('answers 401 to a malformed, a tampered or an expired token', async () => {
    const me = await signedUp();
    const them = await registerUser(service.store);
    const good = await service.issuer.mint(me.id);
    const [header, , signature] = good.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ sub: them, sid: 'x' })).toString('base64url')}.${signature}`;
    for (const authorization of [
      'Bearer not-a-token',
      `Basic ${Buffer.from('a:b').toString('base64')}`,
      `Bearer ${forged}`,
      `Bearer ${await service.issuer.mint(me.id, { expiresIn: '-1s' })}`,
    ]) {
      expectProblem(await send(them, { authorization }), 401);
    }
    expect(await followStream(service.store, me.id, them)).toEqual([]);
  });

  it('answers 401 to a valid token of a deleted account', async () => {
    const me = await signedUp();
    const them = await registerUser(service.store);
    await deleteUser(service.store, me.id);
    expectProblem(await send(them, me.auth), 401);
    expect(await followStream(service.store, me.id, them)).toEqual([]);
  });

  it('answers 401 to a valid token of an account that was never registered', async () => {
    const them = await registerUser(service.store);
    const ghost = '01900000-0000-7000-8000-0000000000ff';
    const res = await send(them, { authorization: `Bearer ${await service.issuer.mint(ghost)}` });
    expectProblem(res, 401);
  });
});

describe('OpenAPI document', () => {
  it('describes both follow routes with their statuses, 202 for a request to a private account, 403 for a blocked one', async () => {
    const res = await service.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const paths = res.json().paths;
    const path = paths['/api/v1/users/{userId}/follow'];
    expect(Object.keys(path.put.responses).sort()).toEqual(['202', '204', '400', '401', '403', '404']);
    expect(Object.keys(path.delete.responses).sort()).toEqual(['204', '400', '401', '404']);
    const requests = paths['/api/v1/users/me/follow-requests/{userId}'];
    expect(Object.keys(requests.put.responses).sort()).toEqual(['204', '400', '401', '403', '404']);
    expect(Object.keys(requests.delete.responses).sort()).toEqual(['204', '400', '401', '404']);
    expect(Object.keys(paths['/api/v1/users/me/followers/{userId}'].delete.responses).sort()).toEqual([
      '204',
      '400',
      '401',
      '404',
    ]);
  });
});
