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

async function privateAccount() {
  const account = await signedUp();
  await setPrivate(service.store, account.id, true);
  return account;
}

const call = (method: 'PUT' | 'DELETE', url: string, headers: Record<string, string> = {}) =>
  service.app.inject({ method, url: `/api/v1${url}`, headers });
const typesOf = async (follower: string, followee: string) =>
  (await followStream(service.store, follower, followee)).map((e) => e.type);

describe('PUT /api/v1/users/:userId/follow of a private account', () => {
  it('answers 202 requested and records FollowRequested; again: 202, still one request', async () => {
    const me = await signedUp();
    const them = await privateAccount();
    const res = await call('PUT', `/users/${them.id}/follow`, me.auth);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ status: 'requested' });
    expect(res.headers['x-consistency-token']).toEqual(expect.any(String));
    const again = await call('PUT', `/users/${them.id}/follow`, me.auth);
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual({ status: 'requested' });
    expect(await typesOf(me.id, them.id)).toEqual(['FollowRequested']);
  });

  it('answers 204 when the caller already followed before the account turned private', async () => {
    const me = await signedUp();
    const them = await signedUp();
    expect((await call('PUT', `/users/${them.id}/follow`, me.auth)).statusCode).toBe(204);
    await setPrivate(service.store, them.id, true);
    expect((await call('PUT', `/users/${them.id}/follow`, me.auth)).statusCode).toBe(204);
    expect(await typesOf(me.id, them.id)).toEqual(['UserFollowed']);
  });

  it('answers 204 (a follow) once the account is public again', async () => {
    const me = await signedUp();
    const them = await privateAccount();
    await setPrivate(service.store, them.id, false);
    expect((await call('PUT', `/users/${them.id}/follow`, me.auth)).statusCode).toBe(204);
  });

  it('DELETE withdraws the pending request: 204 and FollowRequestWithdrawn', async () => {
    const me = await signedUp();
    const them = await privateAccount();
    await call('PUT', `/users/${them.id}/follow`, me.auth);
    expect((await call('DELETE', `/users/${them.id}/follow`, me.auth)).statusCode).toBe(204);
    expect(await typesOf(me.id, them.id)).toEqual(['FollowRequested', 'FollowRequestWithdrawn']);
  });
});

describe('PUT /api/v1/users/me/follow-requests/:userId', () => {
  it('accepts: 204, FollowRequestAccepted then UserFollowed; again: 204, nothing more', async () => {
    const fan = await signedUp();
    const me = await privateAccount();
    await call('PUT', `/users/${me.id}/follow`, fan.auth);
    const res = await call('PUT', `/users/me/follow-requests/${fan.id}`, me.auth);
    expect(res.statusCode).toBe(204);
    expect(await typesOf(fan.id, me.id)).toEqual([
      'FollowRequested',
      'FollowRequestAccepted',
      'UserFollowed',
    ]);
    expect((await call('PUT', `/users/me/follow-requests/${fan.id}`, me.auth)).statusCode).toBe(204);
    expect(await typesOf(fan.id, me.id)).toHaveLength(3);
  });

  it('answers 404 when no request from the account is pending, 400 for a malformed id, 401 without a token', async () => {
    const other = await signedUp();
    const me = await privateAccount();
    const none = await call('PUT', `/users/me/follow-requests/${other.id}`, me.auth);
    expect(none.statusCode).toBe(404);
    expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await call('PUT', '/users/me/follow-requests/nope', me.auth)).statusCode).toBe(400);
    expect((await call('PUT', `/users/me/follow-requests/${other.id}`)).statusCode).toBe(401);
  });

  it('gives one outcome to 50 concurrent accepts and declines of one request', async () => {
    const fan = await signedUp();
    const me = await privateAccount();
    await call('PUT', `/users/${me.id}/follow`, fan.auth);
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call(i % 2 === 0 ? 'PUT' : 'DELETE', `/users/me/follow-requests/${fan.id}`, me.auth),
      ),
    );
    const types = await typesOf(fan.id, me.id);
    expect(types.length).toBeGreaterThan(1);
    const outcome = types.slice(1);
    expect([['FollowRequestAccepted', 'UserFollowed'], ['FollowRequestDeclined']]).toContainEqual(outcome);
    const statuses = new Set(responses.map((r) => r.statusCode));
    // Once declined, a later accept finds nothing pending (404); once accepted, a later decline changes nothing.
    if (outcome[0] === 'FollowRequestAccepted') expect(statuses).toEqual(new Set([204]));
    else for (const status of statuses) expect([204, 404]).toContain(status);
  });
});

describe('DELETE /api/v1/users/me/follow-requests/:userId', () => {
  it('declines: 204 and FollowRequestDeclined; none pending: 204, nothing recorded', async () => {
    const fan = await signedUp();
    const me = await privateAccount();
    await call('PUT', `/users/${me.id}/follow`, fan.auth);
    expect((await call('DELETE', `/users/me/follow-requests/${fan.id}`, me.auth)).statusCode).toBe(204);
    expect((await call('DELETE', `/users/me/follow-requests/${fan.id}`, me.auth)).statusCode).toBe(204);
    expect(await typesOf(fan.id, me.id)).toEqual(['FollowRequested', 'FollowRequestDeclined']);
  });

  it('answers 404 for an unknown or deleted account', async () => {
    const me = await privateAccount();
    const gone = await registerUser(service.store);
    await deleteUser(service.store, gone);
    expect((await call('DELETE', `/users/me/follow-requests/${gone}`, me.auth)).statusCode).toBe(404);
    const unknown = '0190a000-0000-7000-8000-000000000000';
    expect((await call('DELETE', `/users/me/follow-requests/${unknown}`, me.auth)).statusCode).toBe(404);
  });
});

describe('DELETE /api/v1/users/me/followers/:userId', () => {
  it('removes a follower: 204 and UserUnfollowed ended by the followee; not a follower: 204', async () => {
    const fan = await signedUp();
    const me = await signedUp();
    await call('PUT', `/users/${me.id}/follow`, fan.auth);
    expect((await call('DELETE', `/users/me/followers/${fan.id}`, me.auth)).statusCode).toBe(204);
    const events = await followStream(service.store, fan.id, me.id);
    expect(events.at(-1)).toMatchObject({ type: 'UserUnfollowed', data: { endedBy: 'followee' } });
    expect((await call('DELETE', `/users/me/followers/${fan.id}`, me.auth)).statusCode).toBe(204);
    expect(await typesOf(fan.id, me.id)).toEqual(['UserFollowed', 'UserUnfollowed']);
  });

  it('answers 404 for an unknown account', async () => {
    const me = await signedUp();
    const unknown = '0190a000-0000-7000-8000-000000000000';
    expect((await call('DELETE', `/users/me/followers/${unknown}`, me.auth)).statusCode).toBe(404);
  });
});
