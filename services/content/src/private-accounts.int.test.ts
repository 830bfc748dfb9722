import { streamIds, toStoredEvent } from '@gram/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ContentHarness, startContent, type TestUser } from '../test/content-harness.js';

let h: ContentHarness;
let owner: TestUser;
let follower: TestUser;
let stranger: TestUser;

const turnPrivate = (user: TestUser) =>
  h.appendToUser(user.id, {
    type: 'ProfileUpdated',
    data: { userId: user.id, isPrivate: true, updatedAt: new Date().toISOString() },
  });

beforeAll(async () => {
  h = await startContent();
  owner = await h.registerUser('owner');
  follower = await h.registerUser('follower');
  stranger = await h.registerUser('stranger');
  await h.store.appendToStream(
    streamIds.follow(follower.id, owner.id),
    [
      toStoredEvent({
        type: 'UserFollowed',
        data: { followerId: follower.id, followeeId: owner.id, followedAt: new Date().toISOString() },
      }),
    ],
    { expectedRevision: 'no_stream' },
  );
  await turnPrivate(owner);
});
afterAll(() => h.close());

describe("likes, comments and replies on a private account's post", () => {
  it('answer 403 private-account to an account that does not follow it, and record nothing', async () => {
    const post = await h.createPost(owner);
    const comment = await h.addComment(owner, post.id);
    const writes = [
      h.call('PUT', `/api/v1/posts/${post.id}/like`, { as: stranger }),
      h.call('POST', `/api/v1/posts/${post.id}/comments`, { as: stranger, body: { text: 'hi' } }),
      h.call('POST', `/api/v1/comments/${comment.id}/replies`, { as: stranger, body: { text: 'hi' } }),
    ];
    for (const res of await Promise.all(writes)) {
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ status: 403, code: 'private-account' });
    }
    expect(await h.eventTypes(streamIds.like(post.id, stranger.id))).toEqual([]);
  });

  it('are let through for the account itself and its approved followers', async () => {
    const post = await h.createPost(owner);
    expect((await h.call('PUT', `/api/v1/posts/${post.id}/like`, { as: follower })).statusCode).toBe(204);
    expect((await h.call('PUT', `/api/v1/posts/${post.id}/like`, { as: owner })).statusCode).toBe(204);
    const comment = await h.addComment(follower, post.id);
    await h.addReply(owner, comment.id);
  });

  it('answer 403 again once the follower is removed (UserUnfollowed ended by the followee)', async () => {
    const post = await h.createPost(owner);
    const removed = await h.registerUser('removed');
    const pair = streamIds.follow(removed.id, owner.id);
    const at = new Date().toISOString();
    await h.store.appendToStream(
      pair,
      [
        toStoredEvent({
          type: 'UserFollowed',
          data: { followerId: removed.id, followeeId: owner.id, followedAt: at },
        }),
        toStoredEvent({
          type: 'UserUnfollowed',
          data: { followerId: removed.id, followeeId: owner.id, unfollowedAt: at, endedBy: 'followee' },
        }),
      ],
      { expectedRevision: 'no_stream' },
    );
    expect((await h.call('PUT', `/api/v1/posts/${post.id}/like`, { as: removed })).statusCode).toBe(403);
  });
});
