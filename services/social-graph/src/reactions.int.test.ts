import type { EventStore } from '@gram/event-store';
import { streamIds, toStoredEvent } from '@gram/events';
import { publicMessageOf } from '@gram/messaging';
import { newId } from '@gram/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followStream, registerUser, startService } from '../test/fixtures.js';
import { socialGraphReactions } from './reactions.js';

let service: Awaited<ReturnType<typeof startService>>;
beforeAll(async () => {
  service = await startService();
});
afterAll(async () => {
  await service?.close();
});

const follow = async (followerId: string, followeeId: string) => {
  const res = await service.app.inject({
    method: 'PUT',
    url: `/api/v1/users/${followeeId}/follow`,
    headers: { authorization: `Bearer ${await service.issuer.mint(followerId)}` },
  });
  expect(res.statusCode).toBe(204);
};

/** A block or unblock appended as the route appends it, with nothing after it: a process stopped right there. */
async function append(
  store: EventStore,
  type: 'UserBlocked' | 'UserUnblocked',
  blockerId: string,
  blockedId: string,
) {
  const at = new Date().toISOString();
  const event =
    type === 'UserBlocked'
      ? toStoredEvent({ type, data: { blockerId, blockedId, blockedAt: at } }, { actorId: blockerId })
      : toStoredEvent({ type, data: { blockerId, blockedId, unblockedAt: at } }, { actorId: blockerId });
  await store.appendToStream(streamIds.block(blockerId, blockedId), [event], { expectedRevision: 'any' });
  const recorded = (await store.readStream(streamIds.block(blockerId, blockedId))).at(-1);
  const message = recorded && publicMessageOf(recorded);
  if (!message) throw new Error(`${type} is not published`);
  return message;
}

const typesOf = async (follower: string, followee: string) =>
  (await followStream(service.store, follower, followee)).map((e) => e.type);

describe('the reaction to UserBlocked', () => {
  it('subscribes to the topic UserBlocked travels on', () => {
    const reaction = socialGraphReactions({ store: service.store });
    expect(reaction.topics).toContain('internal.social.relations');
    expect(reaction.groupId).toBe('social-graph-reactions');
  });

  it('ends the follows both ways that a block left standing, as the blocker; handled twice: the same streams', async () => {
    const a = await registerUser(service.store);
    const b = await registerUser(service.store);
    await follow(a, b);
    await follow(b, a);
    const { message } = await append(service.store, 'UserBlocked', a, b);
    const { handler } = socialGraphReactions({ store: service.store });
    await handler(message);
    const after = [await followStream(service.store, a, b), await followStream(service.store, b, a)];
    expect(after[0]?.map((e) => e.type)).toEqual(['UserFollowed', 'UserUnfollowed']);
    expect(after[1]?.at(-1)).toMatchObject({ type: 'UserUnfollowed', data: { endedBy: 'followee' } });
    const actors = (await service.store.readStream(streamIds.follow(b, a))).at(-1)?.metadata;
    expect(actors).toMatchObject({ actorId: a, correlationId: message.id });
    await handler(message);
    expect([await followStream(service.store, a, b), await followStream(service.store, b, a)]).toEqual(after);
  });

  it('ends nothing when the block was undone before the message is handled', async () => {
    const a = await registerUser(service.store);
    const b = await registerUser(service.store);
    const { message } = await append(service.store, 'UserBlocked', a, b);
    await append(service.store, 'UserUnblocked', a, b);
    await follow(b, a);
    await socialGraphReactions({ store: service.store }).handler(message);
    expect(await typesOf(b, a)).toEqual(['UserFollowed']);
  });

  it('records nothing for a block of accounts this store has never seen', async () => {
    const a = newId();
    const b = newId();
    const { message } = await append(service.store, 'UserBlocked', a, b);
    await socialGraphReactions({ store: service.store }).handler(message);
    expect(await typesOf(a, b)).toEqual([]);
    expect(await typesOf(b, a)).toEqual([]);
  });
});
