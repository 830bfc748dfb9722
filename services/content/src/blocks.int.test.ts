import { type DomainEvent, fromStoredEvent, streamIds, toStoredEvent } from '@gram/events';
import { publicMessageOf } from '@gram/messaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ContentHarness, startContent, type TestUser, unknownId } from '../test/content-harness.js';
import { likeDecider } from './likes/like.js';
import { contentReactions } from './reactions.js';

let h: ContentHarness;
beforeAll(async () => {
  h = await startContent();
});
afterAll(() => h.close());

/** Appends the block (as social-graph does) and hands back the message the relay would publish for it. */
async function block(blocker: TestUser, blocked: TestUser) {
  const event: DomainEvent = {
    type: 'UserBlocked',
    data: { blockerId: blocker.id, blockedId: blocked.id, blockedAt: new Date().toISOString() },
  };
  const streamId = streamIds.block(blocker.id, blocked.id);
  const { nextExpectedRevision } = await h.store.appendToStream(streamId, [toStoredEvent(event)], {
    expectedRevision: 'any',
  });
  const [recorded] = await h.store.readStream(streamId, { fromRevision: nextExpectedRevision });
  const published = recorded && publicMessageOf(recorded);
  if (!published) throw new Error('UserBlocked was not published');
  return published.message;
}

async function unblock(blocker: TestUser, blocked: TestUser) {
  const event: DomainEvent = {
    type: 'UserUnblocked',
    data: { blockerId: blocker.id, blockedId: blocked.id, unblockedAt: new Date().toISOString() },
  };
  await h.store.appendToStream(streamIds.block(blocker.id, blocked.id), [toStoredEvent(event)], {
    expectedRevision: 'any',
  });
}

const like = (postId: string, as: TestUser) => h.call('PUT', `/api/v1/posts/${postId}/like`, { as });
const unlike = (postId: string, as: TestUser) => h.call('DELETE', `/api/v1/posts/${postId}/like`, { as });
const comment = (postId: string, as: TestUser) =>
  h.call('POST', `/api/v1/posts/${postId}/comments`, { as, body: { text: 'hi' } });
const reply = (commentId: string, as: TestUser) =>
  h.call('POST', `/api/v1/comments/${commentId}/replies`, { as, body: { text: 'hi' } });

/** A problem's body without what names the request. */
const problem = (res: { json: () => unknown }) => {
  const { type, title, status, detail, code } = res.json() as Record<string, unknown>;
  return { type, title, status, detail, code };
};

/** Whether the like stream, folded by the decider, ends liked. */
async function likes(postId: string, user: TestUser): Promise<boolean> {
  let state = likeDecider.initialState();
  for (const recorded of await h.store.readStream(streamIds.like(postId, user.id))) {
    state = likeDecider.evolve(state, fromStoredEvent(recorded) as Parameters<typeof likeDecider.evolve>[1]);
  }
  return state.status === 'liked';
}

describe('a like, comment or reply across a block', () => {
  it("answers the blocked account 404 on the blocker's post and comment, word for word as if they did not exist, and records nothing", async () => {
    const [author, blocked, other] = await Promise.all([
      h.registerUser('author'),
      h.registerUser('blocked'),
      h.registerUser('other'),
    ]);
    const post = await h.createPost(author);
    const ofAuthor = await h.addComment(author, post.id);
    const otherPost = await h.createPost(other);
    // The comment's author blocked the writer: a reply to it under someone else's post is refused alike.
    const onOtherPost = await h.addComment(author, otherPost.id);
    await block(author, blocked);
    const noPost = problem(await like(unknownId(), blocked));
    const noComment = problem(await reply(unknownId(), blocked));
    expect(noPost.status).toBe(404);
    expect(noComment.status).toBe(404);
    for (const res of [
      await like(post.id, blocked),
      await unlike(post.id, blocked),
      await comment(post.id, blocked),
    ]) {
      expect(problem(res)).toEqual(noPost);
    }
    for (const res of [await reply(ofAuthor.id, blocked), await reply(onOtherPost.id, blocked)]) {
      expect(problem(res)).toEqual(noComment);
    }
    expect(await h.eventTypes(streamIds.like(post.id, blocked.id))).toEqual([]);
    const byBlocked = await h.store.readByActor(blocked.id);
    expect(byBlocked.map((e) => e.type)).toEqual([]);
  });

  it('answers the blocker 403 blocked on the blocked account’s post and comment, and records nothing', async () => {
    const [blocker, author, other] = await Promise.all([
      h.registerUser('blocker'),
      h.registerUser('author'),
      h.registerUser('other'),
    ]);
    const post = await h.createPost(author);
    const ofAuthor = await h.addComment(author, post.id);
    const otherPost = await h.createPost(other);
    const onOtherPost = await h.addComment(author, otherPost.id);
    await block(blocker, author);
    const writes = [
      await like(post.id, blocker),
      await unlike(post.id, blocker),
      await comment(post.id, blocker),
      await reply(ofAuthor.id, blocker),
      await reply(onOtherPost.id, blocker),
    ];
    for (const res of writes) {
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ status: 403, code: 'blocked' });
    }
    expect((await h.store.readByActor(blocker.id)).map((e) => e.type)).toEqual([]);
  });

  it('answers 404 rather than private-account when a private author blocked the writer', async () => {
    const [author, blocked] = await Promise.all([h.registerUser('private'), h.registerUser('blocked')]);
    const post = await h.createPost(author);
    await h.appendToUser(author.id, {
      type: 'ProfileUpdated',
      data: { userId: author.id, isPrivate: true, updatedAt: new Date().toISOString() },
    });
    await block(author, blocked);
    expect((await like(post.id, blocked)).statusCode).toBe(404);
  });

  it('lets every write through again once the block is lifted, either way', async () => {
    const [a, b] = await Promise.all([h.registerUser('alice'), h.registerUser('bob')]);
    const post = await h.createPost(a);
    const ofA = await h.addComment(a, post.id);
    await block(a, b);
    await block(b, a);
    await unblock(a, b);
    await unblock(b, a);
    expect((await like(post.id, b)).statusCode).toBe(204);
    expect((await unlike(post.id, b)).statusCode).toBe(204);
    expect((await comment(post.id, b)).statusCode).toBe(201);
    expect((await reply(ofA.id, b)).statusCode).toBe(201);
  });
});

describe('the reaction to a block', () => {
  it("removes the blocked account's likes, comments and replies under the blocker's posts, on the blocker's behalf, and nothing else", async () => {
    const [a, b, x, y] = await Promise.all([
      h.registerUser('alice'),
      h.registerUser('bob'),
      h.registerUser('xena'),
      h.registerUser('yann'),
    ]);
    const [postA1, postA2, postX] = [await h.createPost(a), await h.createPost(a), await h.createPost(x)];
    await like(postA1.id, b);
    await like(postA2.id, b);
    await like(postX.id, b);
    await like(postA1.id, y);
    const commentB = await h.addComment(b, postA1.id);
    const commentY = await h.addComment(y, postA1.id);
    const replyB = await h.addReply(b, commentY.id);
    const replyY = await h.addReply(y, commentB.id);
    const commentBOnX = await h.addComment(b, postX.id);
    // A's comment under X's post: B's reply to it is under X's post, not A's.
    const commentAOnX = await h.addComment(a, postX.id);
    const replyBOnX = await h.addReply(b, commentAOnX.id);

    const reactions = contentReactions({ store: h.store });
    await reactions.handler(await block(a, b));

    const last = async (streamId: string) => {
      const recorded = (await h.store.readStream(streamId)).at(-1);
      return { type: recorded?.type, data: recorded?.data, actorId: recorded?.metadata.actorId };
    };
    for (const postId of [postA1.id, postA2.id]) {
      expect(await last(streamIds.like(postId, b.id))).toMatchObject({ type: 'PostUnliked', actorId: a.id });
    }
    expect(await last(streamIds.comment(commentB.id))).toMatchObject({
      type: 'CommentDeleted',
      data: { deletedBy: a.id },
      actorId: a.id,
    });
    expect(await last(streamIds.reply(replyB.id))).toMatchObject({
      type: 'ReplyDeleted',
      data: { deletedBy: a.id },
      actorId: a.id,
    });
    // Untouched: B's writes under another author's posts, and everybody else's under A's.
    expect(await likes(postX.id, b)).toBe(true);
    expect(await likes(postA1.id, y)).toBe(true);
    for (const id of [commentY.id, commentBOnX.id, commentAOnX.id]) {
      expect(await h.eventTypes(streamIds.comment(id))).toEqual(['CommentAdded']);
    }
    for (const id of [replyY.id, replyBOnX.id]) {
      expect(await h.eventTypes(streamIds.reply(id))).toEqual(['ReplyAdded']);
    }
  });

  it('records nothing when delivered again, nor for a block between accounts this store never saw', async () => {
    const [a, b] = await Promise.all([h.registerUser('alice'), h.registerUser('bob')]);
    const post = await h.createPost(a);
    await like(post.id, b);
    const c = await h.addComment(b, post.id);
    await h.addReply(b, c.id);
    const reactions = contentReactions({ store: h.store });
    const message = await block(a, b);
    await reactions.handler(message);
    const head = await h.store.headPosition();
    await reactions.handler(message);
    await reactions.handler({
      ...message,
      id: unknownId(),
      streamId: streamIds.block(unknownId(), unknownId()),
      data: { blockerId: unknownId(), blockedId: unknownId(), blockedAt: new Date().toISOString() },
    });
    expect(await h.store.headPosition()).toBe(head);
  });

  it('leaves what was written after an unblock when the block is delivered late or again: what it removes stays removed, nothing more', async () => {
    const [a, b] = await Promise.all([h.registerUser('alice'), h.registerUser('bob')]);
    const post = await h.createPost(a);
    await like(post.id, b);
    const before = await h.addComment(b, post.id);
    const reactions = contentReactions({ store: h.store });
    const message = await block(a, b);
    await reactions.handler(message);
    await unblock(a, b);
    expect(await likes(post.id, b)).toBe(false);
    expect((await like(post.id, b)).statusCode).toBe(204);
    const after = await h.addComment(b, post.id);
    await reactions.handler(message);
    expect(await likes(post.id, b)).toBe(true);
    expect(await h.eventTypes(streamIds.comment(after.id))).toEqual(['CommentAdded']);
    expect(await h.eventTypes(streamIds.comment(before.id))).toEqual(['CommentAdded', 'CommentDeleted']);
  });

  it('ignores the other events of its topic: an unblock removes nothing and brings nothing back', async () => {
    const [a, b] = await Promise.all([h.registerUser('alice'), h.registerUser('bob')]);
    const post = await h.createPost(a);
    await like(post.id, b);
    const reactions = contentReactions({ store: h.store });
    await unblock(a, b);
    const [recorded] = await h.store.readStream(streamIds.block(a.id, b.id));
    const message = recorded && publicMessageOf(recorded)?.message;
    if (message?.type !== 'UserUnblocked') throw new Error('UserUnblocked was not published');
    await reactions.handler(message);
    expect(await likes(post.id, b)).toBe(true);
  });
});

describe('a like racing a block', () => {
  it('never leaves a counted like of the blocked account, whichever comes first (50 rounds)', async () => {
    const author = await h.registerUser('author');
    const reactions = contentReactions({ store: h.store });
    for (let round = 0; round < 50; round++) {
      const [fan, post] = await Promise.all([h.registerUser(`fan${round}`), h.createPost(author)]);
      // The block starts a different number of event-loop turns after the like from one round to the next, so
      // the rounds cover every order of the like's check, its append and its second look against the block's
      // append and the reaction's read.
      const [res] = await Promise.all([
        like(post.id, fan),
        (async () => {
          for (let turn = 0; turn < round % 10; turn++) await new Promise(setImmediate);
          await reactions.handler(await block(author, fan));
        })(),
      ]);
      expect([204, 404]).toContain(res.statusCode);
      expect(await likes(post.id, fan)).toBe(false);
    }
  });
});
