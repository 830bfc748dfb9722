import { streamIds } from '@gram/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteUser, followStream, registerUser, setPrivate, startService } from '../../test/fixtures.js';

let service: Awaited<ReturnType<typeof startService>>;
beforeAll(async () => {
  service = await startService();
});
afterAll(async () => {
  await service?.close();
});

async function signedUp() {
  const id = await registerUser(service.store);
  return { id, auth: { authorization: `Bearer ${await service.issuer.mint(id)}` } };
}

const call = (method: 'PUT' | 'DELETE', url: string, headers: Record<string, string> = {}) =>
  service.app.inject({ method, url: `/api/v1${url}`, headers });
const block = (userId: string, headers: Record<string, string> = {}) =>
  call('PUT', `/users/${userId}/block`, headers);
const unblock = (userId: string, headers: Record<string, string> = {}) =>
  call('DELETE', `/users/${userId}/block`, headers);
const blockStream = async (blockerId: string, blockedId: string) =>
  (await service.store.readStream(streamIds.block(blockerId, blockedId))).map((e) => e.type);
const typesOf = async (follower: string, followee: string) =>
  (await followStream(service.store, follower, followee)).map((e) => e.type);

function expectProblem(
  res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown },
  status: number,
  code?: string,
) {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  if (code) expect(res.json()).toMatchObject({ status, code });
}

describe('PUT /api/v1/users/:userId/block', () => {
  it('answers 204 and records UserBlocked by the caller in the block stream of the pair', async () => {
    const me = await signedUp();
    const them = await registerUser(service.store);
    const res = await block(them, me.auth);
    expect(res.statusCode).toBe(204);
    const recorded = await service.store.readStream(streamIds.block(me.id, them));
    expect(recorded).toMatchObject([
      { type: 'UserBlocked', data: { blockerId: me.id, blockedId: them }, metadata: { actorId: me.id } },
    ]);
    expect(res.headers['x-consistency-token']).toEqual(expect.any(String));
  });

  it('answers 204 again when already blocking and records nothing', async () => {
    const me = await signedUp();
    const them = await registerUser(service.store);
    await block(them, me.auth);
    expect((await block(them.toUpperCase(), me.auth)).statusCode).toBe(204);
    expect(await blockStream(me.id, them)).toEqual(['UserBlocked']);
  });

  it('answers 400 cannot-block-yourself to a user blocking themselves, and records nothing', async () => {
    const me = await signedUp();
    const res = await block(me.id, me.auth);
    expectProblem(res, 400, 'cannot-block-yourself');
    expect(res.json()).toMatchObject({ errors: [{ field: 'userId' }] });
    expect(await blockStream(me.id, me.id)).toEqual([]);
  });

  it('answers 400 naming userId for a malformed id', async () => {
    const me = await signedUp();
    const res = await block('not-a-uuid', me.auth);
    expectProblem(res, 400);
    expect(res.json().errors[0].field).toBe('userId');
  });

  it('answers 404 for an id of no account and for a deleted account', async () => {
    const me = await signedUp();
    expectProblem(await block('01900000-0000-7000-8000-000000000404', me.auth), 404);
    const gone = await registerUser(service.store);
    await deleteUser(service.store, gone);
    expectProblem(await block(gone, me.auth), 404);
    expect(await blockStream(me.id, gone)).toEqual([]);
  });

  it('answers 401 without a token', async () => {
    expectProblem(await block(await registerUser(service.store)), 401);
  });
});

describe('DELETE /api/v1/users/:userId/block', () => {
  it('answers 204 and records UserUnblocked when the caller blocks the account', async () => {
    const me = await signedUp();
    const them = await registerUser(service.store);
    await block(them, me.auth);
    expect((await unblock(them, me.auth)).statusCode).toBe(204);
    expect(await blockStream(me.id, them)).toEqual(['UserBlocked', 'UserUnblocked']);
  });

  it('answers 204 and records nothing when the caller does not block the account', async () => {
    const me = await signedUp();
    const them = await registerUser(service.store);
    expect((await unblock(them, me.auth)).statusCode).toBe(204);
    expect(await blockStream(me.id, them)).toEqual([]);
  });

  it('answers 404 for an unknown or deleted account', async () => {
    const me = await signedUp();
    expectProblem(await unblock('01900000-0000-7000-8000-000000000404', me.auth), 404);
    const gone = await registerUser(service.store);
    await deleteUser(service.store, gone);
    expectProblem(await unblock(gone, me.auth), 404);
  });

  it('answers 401 without a token', async () => {
    expectProblem(await unblock(await registerUser(service.store)), 401);
  });

  it('brings back nothing the block ended', async () => {
    const me = await signedUp();
    const them = await signedUp();
    await call('PUT', `/users/${me.id}/follow`, them.auth);
    await block(them.id, me.auth);
    await unblock(them.id, me.auth);
    expect(await typesOf(them.id, me.id)).toEqual(['UserFollowed', 'UserUnfollowed']);
  });
});

/** A and B following each other: the two follow streams of the pair. */
async function mutualFollows() {
  const a = await signedUp();
  const b = await signedUp();
  expect((await call('PUT', `/users/${b.id}/follow`, a.auth)).statusCode).toBe(204);
  expect((await call('PUT', `/users/${a.id}/follow`, b.auth)).statusCode).toBe(204);
  return { a, b };
}

/** A and B, both private, each asking to follow the other: two pending requests. */
async function mutualRequests() {
  const a = await signedUp();
  const b = await signedUp();
  await setPrivate(service.store, a.id, true);
  await setPrivate(service.store, b.id, true);
  expect((await call('PUT', `/users/${b.id}/follow`, a.auth)).statusCode).toBe(202);
  expect((await call('PUT', `/users/${a.id}/follow`, b.auth)).statusCode).toBe(202);
  return { a, b };
}

describe('a block ends follows and pending requests both ways', () => {
  it("records the blocker's unfollow and its removal of the blocked follower, both by the blocker; again: nothing more", async () => {
    const { a, b } = await mutualFollows();
    expect((await block(b.id, a.auth)).statusCode).toBe(204);
    const expected = async () => {
      expect(await followStream(service.store, a.id, b.id)).toEqual([
        expect.objectContaining({ type: 'UserFollowed' }),
        {
          type: 'UserUnfollowed',
          data: { followerId: a.id, followeeId: b.id, unfollowedAt: expect.any(String) },
        },
      ]);
      expect(await followStream(service.store, b.id, a.id)).toEqual([
        expect.objectContaining({ type: 'UserFollowed' }),
        {
          type: 'UserUnfollowed',
          data: { followerId: b.id, followeeId: a.id, unfollowedAt: expect.any(String), endedBy: 'followee' },
        },
      ]);
      for (const [follower, followee] of [
        [a.id, b.id],
        [b.id, a.id],
      ] as const) {
        const last = (await service.store.readStream(streamIds.follow(follower, followee))).at(-1);
        expect(last?.metadata.actorId).toBe(a.id);
      }
    };
    await expected();
    expect((await block(b.id, a.auth)).statusCode).toBe(204);
    await expected();
  });

  it("withdraws the blocker's pending request and declines the blocked account's; again: nothing more", async () => {
    const { a, b } = await mutualRequests();
    await block(b.id, a.auth);
    expect(await typesOf(a.id, b.id)).toEqual(['FollowRequested', 'FollowRequestWithdrawn']);
    expect(await typesOf(b.id, a.id)).toEqual(['FollowRequested', 'FollowRequestDeclined']);
    await block(b.id, a.auth);
    expect(await typesOf(a.id, b.id)).toHaveLength(2);
    expect(await typesOf(b.id, a.id)).toHaveLength(2);
  });

  it('answers a token that names the last thing the block ended, not the block alone', async () => {
    const { a, b } = await mutualFollows();
    const res = await block(b.id, a.auth);
    const lastOf = async (streamId: string) =>
      (await service.store.readStream(streamId)).at(-1)?.position ?? 0;
    const ended = Math.max(
      await lastOf(streamIds.follow(a.id, b.id)),
      await lastOf(streamIds.follow(b.id, a.id)),
    );
    expect(Number(res.headers['x-global-position'])).toBe(await lastOf(streamIds.block(a.id, b.id)));
    expect(res.headers['x-consistency-token']).toBe(`p${ended.toString(36)}`);
  });
});

describe('follows across a block (A blocks B)', () => {
  async function blockedPair() {
    const a = await signedUp();
    const b = await signedUp();
    expect((await block(b.id, a.auth)).statusCode).toBe(204);
    return { a, b };
  }

  it('answers 403 blocked to A following B, and records nothing', async () => {
    const { a, b } = await blockedPair();
    const res = await call('PUT', `/users/${b.id}/follow`, a.auth);
    expectProblem(res, 403, 'blocked');
    expect(await typesOf(a.id, b.id)).toEqual([]);
  });

  it('answers 404 to B following A, the same answer as for an unknown account, and records nothing', async () => {
    const { a, b } = await blockedPair();
    const res = await call('PUT', `/users/${a.id}/follow`, b.auth);
    expectProblem(res, 404, 'not-found');
    const unknown = await call('PUT', '/users/01900000-0000-7000-8000-000000000404/follow', b.auth);
    expect(res.json().detail).toBe(unknown.json().detail);
    expect(await typesOf(b.id, a.id)).toEqual([]);
  });

  it('answers 404 to B following A when both block each other', async () => {
    const { a, b } = await blockedPair();
    await block(a.id, b.auth);
    expectProblem(await call('PUT', `/users/${a.id}/follow`, b.auth), 404);
    expectProblem(await call('PUT', `/users/${b.id}/follow`, a.auth), 404);
  });

  it('answers 404 to B unfollowing A; 204 to A unfollowing B, which it no longer follows', async () => {
    const { a, b } = await blockedPair();
    expectProblem(await call('DELETE', `/users/${a.id}/follow`, b.auth), 404);
    expect((await call('DELETE', `/users/${b.id}/follow`, a.auth)).statusCode).toBe(204);
  });

  it('answers 404 to B accepting, declining or removing A', async () => {
    const { a, b } = await blockedPair();
    for (const [method, url] of [
      ['PUT', `/users/me/follow-requests/${a.id}`],
      ['DELETE', `/users/me/follow-requests/${a.id}`],
      ['DELETE', `/users/me/followers/${a.id}`],
    ] as const) {
      expectProblem(await call(method, url, b.auth), 404);
    }
  });

  it('answers 403 blocked to A accepting B; 204 to A declining or removing B, which the block ended', async () => {
    const { a, b } = await blockedPair();
    expectProblem(await call('PUT', `/users/me/follow-requests/${b.id}`, a.auth), 403, 'blocked');
    expect((await call('DELETE', `/users/me/follow-requests/${b.id}`, a.auth)).statusCode).toBe(204);
    expect((await call('DELETE', `/users/me/followers/${b.id}`, a.auth)).statusCode).toBe(204);
    expect(await typesOf(b.id, a.id)).toEqual([]);
  });

  it('lets them follow each other again after the unblock', async () => {
    const { a, b } = await blockedPair();
    await unblock(b.id, a.auth);
    expect((await call('PUT', `/users/${b.id}/follow`, a.auth)).statusCode).toBe(204);
    expect((await call('PUT', `/users/${a.id}/follow`, b.auth)).statusCode).toBe(204);
  });
});
