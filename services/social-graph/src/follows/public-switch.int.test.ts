import { streamIds } from '@gram/events';
import { publicMessageOf } from '@gram/messaging';
import { createTestTokenIssuer } from '@gram/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deleteUser,
  followStream,
  holdingAppends,
  openTempStore,
  registerUser,
  setPrivate,
} from '../../test/fixtures.js';
import { buildSocialGraphApp } from '../app.js';
import { socialGraphReactions } from '../reactions.js';

/**
 * A store that, once asked, holds the next append to one stream until `meanwhile` has run: the follow route has
 * read the followee's standing (private) and the switch to public lands before its append.
 */
let appends: ReturnType<typeof holdingAppends>;
let harness: Awaited<ReturnType<typeof openTempStore>>;
let app: ReturnType<typeof buildSocialGraphApp>;
let issuer: Awaited<ReturnType<typeof createTestTokenIssuer>>;

beforeAll(async () => {
  harness = await openTempStore();
  appends = holdingAppends(harness.store);
  issuer = await createTestTokenIssuer();
  app = buildSocialGraphApp({ store: appends.store, verifier: issuer.verifier });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await harness?.cleanup();
});

const request = async (method: 'PUT' | 'DELETE', url: string, userId: string) =>
  app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${await issuer.mint(userId)}` },
  });
const typesOf = async (follower: string, followee: string) =>
  (await followStream(harness.store, follower, followee)).map((e) => e.type);

/** Switches the account public and hands back the message its reaction is given, as the relay publishes it. */
async function switchToPublic(userId: string) {
  await setPrivate(harness.store, userId, false);
  const recorded = (await harness.store.readStream(streamIds.user(userId))).at(-1);
  const message = recorded && publicMessageOf(recorded)?.message;
  if (!message) throw new Error('ProfileUpdated is not published');
  return message;
}

describe('switching back to public', () => {
  it('accepts every request pending to the account, as the account, and nothing that is not pending; handled twice: the same streams', async () => {
    const owner = await registerUser(harness.store);
    const [first, second, withdrawn, gone, elsewhere] = await Promise.all(
      Array.from({ length: 5 }, () => registerUser(harness.store)),
    );
    const other = await registerUser(harness.store);
    await setPrivate(harness.store, owner, true);
    await setPrivate(harness.store, other, true);
    for (const asker of [first, second, withdrawn, gone] as string[]) {
      expect((await request('PUT', `/users/${owner}/follow`, asker)).statusCode).toBe(202);
    }
    expect((await request('PUT', `/users/${other}/follow`, elsewhere as string)).statusCode).toBe(202);
    expect((await request('DELETE', `/users/${owner}/follow`, withdrawn as string)).statusCode).toBe(204);
    await deleteUser(harness.store, gone as string);

    const message = await switchToPublic(owner);
    const { handler, topics } = socialGraphReactions({ store: harness.store });
    expect(topics).toContain('identity.users');
    await handler(message);

    for (const asker of [first, second] as string[]) {
      expect(await typesOf(asker, owner)).toEqual([
        'FollowRequested',
        'FollowRequestAccepted',
        'UserFollowed',
      ]);
      const accepted = (await harness.store.readStream(streamIds.follow(asker, owner))).at(-1);
      expect(accepted?.metadata).toMatchObject({ actorId: owner, correlationId: message.id });
    }
    expect(await typesOf(withdrawn as string, owner)).toEqual(['FollowRequested', 'FollowRequestWithdrawn']);
    expect(await typesOf(gone as string, owner)).toEqual(['FollowRequested']);
    expect(await typesOf(elsewhere as string, other)).toEqual(['FollowRequested']);

    const streams = await Promise.all([first, second].map((asker) => typesOf(asker as string, owner)));
    await handler(message);
    expect(await Promise.all([first, second].map((asker) => typesOf(asker as string, owner)))).toEqual(
      streams,
    );
  });

  it('accepts nothing when the account is private again by the time the reaction runs', async () => {
    const [owner, asker] = [await registerUser(harness.store), await registerUser(harness.store)];
    await setPrivate(harness.store, owner, true);
    expect((await request('PUT', `/users/${owner}/follow`, asker)).statusCode).toBe(202);
    const message = await switchToPublic(owner);
    await setPrivate(harness.store, owner, true);
    await socialGraphReactions({ store: harness.store }).handler(message);
    expect(await typesOf(asker, owner)).toEqual(['FollowRequested']);
  });

  it('a request decided while the account was private but appended after its switch (and after the reaction) is accepted by the follow itself: 204', async () => {
    const [owner, asker] = [await registerUser(harness.store), await registerUser(harness.store)];
    await setPrivate(harness.store, owner, true);
    appends.hold({
      streamId: streamIds.follow(asker, owner),
      meanwhile: async () => {
        const message = await switchToPublic(owner);
        await socialGraphReactions({ store: harness.store }).handler(message);
      },
    });
    const res = await request('PUT', `/users/${owner}/follow`, asker);
    expect(res.statusCode).toBe(204);
    expect(appends.pending).toBe(false);
    expect(await typesOf(asker, owner)).toEqual(['FollowRequested', 'FollowRequestAccepted', 'UserFollowed']);
  });
});
