import { streamIds } from '@gram/events';
import { foldEvents } from '@gram/service-kit';
import { createTestTokenIssuer } from '@gram/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  followStream,
  holdingAppends,
  openTempStore,
  registerUser,
  setPrivate,
  startService,
} from '../../test/fixtures.js';
import { buildSocialGraphApp } from '../app.js';
import { type FollowEvent, followDecider } from '../follows/follow.js';

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

/** What the follow stream of (follower, followee) folds to, as the write side decides on it. */
async function standing(followerId: string, followeeId: string) {
  const events = (await followStream(service.store, followerId, followeeId)) as FollowEvent[];
  return foldEvents(followDecider.evolve, followDecider.initialState(), events).status;
}

const rounds = 30;

describe('a follow racing a block', () => {
  it('never leaves a follow or a pending request standing, whichever lands first, public or private', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: rounds }, async (_, i) => {
        const a = await signedUp();
        const b = await signedUp();
        if (i % 3 === 0) await setPrivate(service.store, a.id, true);
        const follow = () => call('PUT', `/users/${a.id}/follow`, b.auth);
        const blockIt = () => call('PUT', `/users/${b.id}/block`, a.auth);
        const [first, second] = i % 2 === 0 ? [follow, blockIt] : [blockIt, follow];
        const responses = await Promise.all([first(), second()]);
        const followed = responses[i % 2 === 0 ? 0 : 1];
        // Before the block: 204 or 202, and the block ended it; after: 404, nothing recorded.
        expect([202, 204, 404]).toContain(followed?.statusCode);
        return standing(b.id, a.id);
      }),
    );
    expect(outcomes.filter((status) => status === 'following' || status === 'requested')).toEqual([]);
  });

  it("never leaves the blocker's own follow standing when it follows and blocks at once", async () => {
    const outcomes = await Promise.all(
      Array.from({ length: rounds }, async (_, i) => {
        const a = await signedUp();
        const b = await signedUp();
        if (i % 3 === 0) await setPrivate(service.store, b.id, true);
        await Promise.all([
          call('PUT', `/users/${b.id}/follow`, a.auth),
          call('PUT', `/users/${b.id}/block`, a.auth),
        ]);
        return standing(a.id, b.id);
      }),
    );
    expect(outcomes.filter((status) => status === 'following' || status === 'requested')).toEqual([]);
  });

  it('never leaves an accepted request standing when the requester blocks meanwhile', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: rounds }, async () => {
        const a = await signedUp();
        const b = await signedUp();
        await setPrivate(service.store, a.id, true);
        expect((await call('PUT', `/users/${a.id}/follow`, b.auth)).statusCode).toBe(202);
        await Promise.all([
          call('PUT', `/users/me/follow-requests/${b.id}`, a.auth),
          call('PUT', `/users/${a.id}/block`, b.auth),
        ]);
        return standing(b.id, a.id);
      }),
    );
    expect(outcomes.filter((status) => status === 'following' || status === 'requested')).toEqual([]);
  });
});

/**
 * The interleaving the recheck exists for, made to happen every time rather than now and then: the follow (or
 * accept) has checked the pair's blocks and found none, and the whole block (UserBlocked, then its ending of the
 * follows, which finds nothing yet) runs before the follow's append. A store that holds the first append to the
 * chosen follow stream until the block route has answered.
 */
describe('a follow appended after a whole block that its check did not see', () => {
  let appends: ReturnType<typeof holdingAppends>;
  let harness: Awaited<ReturnType<typeof openTempStore>>;
  let app: ReturnType<typeof buildSocialGraphApp>;
  let issuer: Awaited<ReturnType<typeof createTestTokenIssuer>>;

  beforeAll(async () => {
    harness = await openTempStore();
    const store = harness.store;
    appends = holdingAppends(store);
    issuer = await createTestTokenIssuer();
    app = buildSocialGraphApp({ store: appends.store, verifier: issuer.verifier });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await harness?.cleanup();
  });

  async function user() {
    const id = await registerUser(harness.store);
    return { id, auth: { authorization: `Bearer ${await issuer.mint(id)}` } };
  }
  const request = (method: 'PUT' | 'DELETE', url: string, headers: Record<string, string>) =>
    app.inject({ method, url: `/api/v1${url}`, headers });
  const folded = async (followerId: string, followeeId: string) =>
    foldEvents(
      followDecider.evolve,
      followDecider.initialState(),
      (await followStream(harness.store, followerId, followeeId)) as FollowEvent[],
    );

  it.each([
    ['public', false, 'UserFollowed', 'UserUnfollowed'],
    ['private', true, 'FollowRequested', 'FollowRequestDeclined'],
  ])(
    'the blocked account following a %s blocker: ended by the blocker, answered 404',
    async (_, isPrivate, made, ended) => {
      const a = await user();
      const b = await user();
      if (isPrivate) await setPrivate(harness.store, a.id, true);
      appends.hold({
        streamId: streamIds.follow(b.id, a.id),
        meanwhile: async () =>
          expect((await request('PUT', `/users/${b.id}/block`, a.auth)).statusCode).toBe(204),
      });
      const res = await request('PUT', `/users/${a.id}/follow`, b.auth);
      expect(appends.pending).toBe(false);
      expect(res.statusCode).toBe(404);
      const events = await followStream(harness.store, b.id, a.id);
      expect(events.map((e) => e.type)).toEqual([made, ended]);
      expect((await folded(b.id, a.id)).status).toBe('ended');
    },
  );

  it('the blocker following the account it blocks meanwhile: unfollowed, answered 403 blocked', async () => {
    const a = await user();
    const b = await user();
    appends.hold({
      streamId: streamIds.follow(a.id, b.id),
      meanwhile: () => request('PUT', `/users/${b.id}/block`, a.auth),
    });
    const res = await request('PUT', `/users/${b.id}/follow`, a.auth);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'blocked' });
    expect((await followStream(harness.store, a.id, b.id)).map((e) => e.type)).toEqual([
      'UserFollowed',
      'UserUnfollowed',
    ]);
  });

  it('an accept of a requester that blocks meanwhile: the block withdrew the request, the accept finds none (404)', async () => {
    const a = await user();
    const b = await user();
    await setPrivate(harness.store, a.id, true);
    expect((await request('PUT', `/users/${a.id}/follow`, b.auth)).statusCode).toBe(202);
    appends.hold({
      streamId: streamIds.follow(b.id, a.id),
      meanwhile: () => request('PUT', `/users/${a.id}/block`, b.auth),
    });
    const res = await request('PUT', `/users/me/follow-requests/${b.id}`, a.auth);
    expect(res.statusCode).toBe(404);
    expect((await followStream(harness.store, b.id, a.id)).map((e) => e.type)).toEqual([
      'FollowRequested',
      'FollowRequestWithdrawn',
    ]);
    expect((await folded(b.id, a.id)).status).toBe('ended');
  });
});
