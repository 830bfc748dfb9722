import { streamIds } from '@gram/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ContentHarness, startContent, type TestUser, unknownId } from '../../test/content-harness.js';

let h: ContentHarness;
let postAuthor: TestUser;
let commenter: TestUser;
let replier: TestUser;
let stranger: TestUser;

beforeAll(async () => {
  h = await startContent();
  postAuthor = await h.registerUser('ada');
  commenter = await h.registerUser('bob');
  replier = await h.registerUser('cleo');
  stranger = await h.registerUser('eve');
});
afterAll(() => h.close());

const reply = (commentId: string, as: TestUser | undefined, body: object) =>
  h.call('POST', `/api/v1/comments/${commentId}/replies`, { ...(as ? { as } : {}), body });
const deleteReply = (replyId: string, as?: TestUser) =>
  h.call('DELETE', `/api/v1/replies/${replyId}`, as ? { as } : {});

async function thread() {
  const { id: postId } = await h.createPost(postAuthor);
  const { id: commentId } = await h.addComment(commenter, postId);
  return { postId, commentId };
}

describe('POST /api/v1/comments/:commentId/replies', () => {
  it("answers 201 with the reply, trimmed, under the comment's post, and records ReplyAdded", async () => {
    const { postId, commentId } = await thread();
    const res = await reply(commentId, replier, { text: '\n agreed \n' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      commentId,
      postId,
      author: {
        id: replier.id,
        userName: 'cleo',
        name: 'Name of cleo',
        profilePic: 'https://img.example/cleo.png',
      },
      text: 'agreed',
      mentions: [],
      createdAt: expect.any(String),
    });
    expect(res.headers['x-stream-revision']).toBe('0');
    const [added] = await h.log.readStream(streamIds.reply(body.id));
    expect(added).toMatchObject({
      type: 'ReplyAdded',
      data: {
        replyId: body.id,
        commentId,
        postId,
        postAuthorId: postAuthor.id,
        authorId: replier.id,
        text: 'agreed',
      },
    });
  });

  it.each([
    ['a blank text', { text: '   ' }],
    ['a missing text', {}],
    ['a text over 2200 characters', { text: 'y'.repeat(2201) }],
    ['a text with a NUL byte', { text: '\u0000agreed' }],
    ['a text of invisible characters only', { text: '\ufeff\u2060' }],
  ])('answers 400 naming the text for %s', async (_what, body) => {
    const { commentId } = await thread();
    const res = await reply(commentId, replier, body);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('text');
  });

  it('answers 400 for a malformed comment id and 401 without a token', async () => {
    expect((await reply('abc', replier, { text: 'hi' })).statusCode).toBe(400);
    const { commentId } = await thread();
    expect((await reply(commentId, undefined, { text: 'hi' })).statusCode).toBe(401);
  });

  it('answers 404 to a comment that does not exist, was deleted, or whose post was deleted', async () => {
    expect((await reply(unknownId(), replier, { text: 'hi' })).statusCode).toBe(404);
    const first = await thread();
    await h.call('DELETE', `/api/v1/comments/${first.commentId}`, { as: commenter });
    expect((await reply(first.commentId, replier, { text: 'hi' })).statusCode).toBe(404);
    const second = await thread();
    await h.call('DELETE', `/api/v1/posts/${second.postId}`, { as: postAuthor });
    expect((await reply(second.commentId, replier, { text: 'hi' })).statusCode).toBe(404);
  });

  it('answers 404 to the comment of an account that was deleted', async () => {
    const { id: postId } = await h.createPost(postAuthor);
    const gone = await h.registerUser('gone');
    const { id: commentId } = await h.addComment(gone, postId);
    await h.deleteUser(gone);
    expect((await reply(commentId, replier, { text: 'hi' })).statusCode).toBe(404);
  });
});

describe('DELETE /api/v1/replies/:replyId', () => {
  async function repliedThread() {
    const t = await thread();
    const { id: replyId } = await h.addReply(replier, t.commentId);
    return { ...t, replyId };
  }

  it("answers 204 and records ReplyDeleted when the reply's author deletes it", async () => {
    const { replyId, commentId, postId } = await repliedThread();
    const res = await deleteReply(replyId, replier);
    expect(res.statusCode).toBe(204);
    expect(res.headers['x-stream-revision']).toBe('1');
    const [, deleted] = await h.store.readStream(streamIds.reply(replyId));
    expect(deleted).toMatchObject({
      type: 'ReplyDeleted',
      data: { replyId, commentId, postId, deletedBy: replier.id },
    });
  });

  it("answers 204 when the post's author deletes it", async () => {
    const { replyId } = await repliedThread();
    expect((await deleteReply(replyId, postAuthor)).statusCode).toBe(204);
  });

  it("answers 403 to anybody else, the comment's author included", async () => {
    const { replyId } = await repliedThread();
    expect((await deleteReply(replyId, stranger)).statusCode).toBe(403);
    expect((await deleteReply(replyId, commenter)).statusCode).toBe(403);
    expect(await h.eventTypes(streamIds.reply(replyId))).toEqual(['ReplyAdded']);
  });

  it('answers 404 for a reply that does not exist, is already deleted, or whose comment was deleted', async () => {
    expect((await deleteReply(unknownId(), replier)).statusCode).toBe(404);
    const first = await repliedThread();
    await deleteReply(first.replyId, replier);
    expect((await deleteReply(first.replyId, replier)).statusCode).toBe(404);
    const second = await repliedThread();
    await h.call('DELETE', `/api/v1/comments/${second.commentId}`, { as: commenter });
    expect((await deleteReply(second.replyId, replier)).statusCode).toBe(404);
  });

  it('answers 404 for a reply under a deleted post, and for the reply of an account that was deleted', async () => {
    const first = await repliedThread();
    await h.call('DELETE', `/api/v1/posts/${first.postId}`, { as: postAuthor });
    expect((await deleteReply(first.replyId, replier)).statusCode).toBe(404);
    const { commentId } = await thread();
    const gone = await h.registerUser('gone2');
    const { id: replyId } = await h.addReply(gone, commentId);
    await h.deleteUser(gone);
    expect((await deleteReply(replyId, postAuthor)).statusCode).toBe(404);
  });

  it('answers 400 for a malformed id and 401 without a token', async () => {
    expect((await deleteReply('r-1', replier)).statusCode).toBe(400);
    const { replyId } = await repliedThread();
    expect((await deleteReply(replyId)).statusCode).toBe(401);
  });
});
