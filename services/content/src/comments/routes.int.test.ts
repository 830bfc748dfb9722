import { streamIds } from '@gram/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ContentHarness, startContent, type TestUser, unknownId } from '../../test/content-harness.js';

let h: ContentHarness;
let postAuthor: TestUser;
let commenter: TestUser;
let stranger: TestUser;

beforeAll(async () => {
  h = await startContent();
  postAuthor = await h.registerUser('ada');
  commenter = await h.registerUser('bob');
  stranger = await h.registerUser('eve');
});
afterAll(() => h.close());

const comment = (postId: string, as: TestUser | undefined, body: object) =>
  h.call('POST', `/api/v1/posts/${postId}/comments`, { ...(as ? { as } : {}), body });
const deleteComment = (commentId: string, as?: TestUser) =>
  h.call('DELETE', `/api/v1/comments/${commentId}`, as ? { as } : {});

describe('POST /api/v1/posts/:postId/comments', () => {
  it('answers 201 with the comment, trimmed, and records CommentAdded with the post author', async () => {
    const { id: postId } = await h.createPost(postAuthor);
    const res = await comment(postId, commenter, { text: '  what a view!  ' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      postId,
      author: {
        id: commenter.id,
        userName: 'bob',
        name: 'Name of bob',
        profilePic: 'https://img.example/bob.png',
      },
      text: 'what a view!',
      mentions: [],
      replyCount: 0,
      createdAt: expect.any(String),
    });
    expect(res.headers['x-stream-revision']).toBe('0');
    const [added] = await h.log.readStream(streamIds.comment(body.id));
    expect(added).toMatchObject({
      type: 'CommentAdded',
      data: {
        commentId: body.id,
        postId,
        postAuthorId: postAuthor.id,
        authorId: commenter.id,
        text: 'what a view!',
      },
    });
  });

  it.each([
    ['a blank text', { text: ' \n\t ' }],
    ['an empty text', { text: '' }],
    ['a missing text', {}],
    ['a text over 2200 characters', { text: 'x'.repeat(2201) }],
    ['a text with a NUL byte', { text: 'nice\u0000' }],
    ['a text of invisible characters only', { text: '\u200b\u200b' }],
  ])('answers 400 naming the text for %s', async (_what, body) => {
    const { id: postId } = await h.createPost(postAuthor);
    const res = await comment(postId, commenter, body);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('text');
  });

  it('answers 400 for a malformed post id and 401 without a token', async () => {
    expect((await comment('xyz', commenter, { text: 'hi' })).statusCode).toBe(400);
    const { id: postId } = await h.createPost(postAuthor);
    expect((await comment(postId, undefined, { text: 'hi' })).statusCode).toBe(401);
  });

  it('answers 404 under a post that does not exist or was deleted', async () => {
    expect((await comment(unknownId(), commenter, { text: 'hi' })).statusCode).toBe(404);
    const { id: postId } = await h.createPost(postAuthor);
    await h.call('DELETE', `/api/v1/posts/${postId}`, { as: postAuthor });
    expect((await comment(postId, commenter, { text: 'hi' })).statusCode).toBe(404);
  });

  it('answers 404 under the post of an account that was deleted (its posts are gone from the API)', async () => {
    const gone = await h.registerUser('gone');
    const { id: postId } = await h.createPost(gone);
    await h.deleteUser(gone);
    expect((await comment(postId, commenter, { text: 'hi' })).statusCode).toBe(404);
  });
});

describe('DELETE /api/v1/comments/:commentId', () => {
  async function commentedPost() {
    const { id: postId } = await h.createPost(postAuthor);
    const { id: commentId } = await h.addComment(commenter, postId);
    return { postId, commentId };
  }

  it("answers 204 and records CommentDeleted when the comment's author deletes it", async () => {
    const { commentId } = await commentedPost();
    const res = await deleteComment(commentId, commenter);
    expect(res.statusCode).toBe(204);
    expect(res.headers['x-stream-revision']).toBe('1');
    const [, deleted] = await h.store.readStream(streamIds.comment(commentId));
    expect(deleted).toMatchObject({ type: 'CommentDeleted', data: { commentId, deletedBy: commenter.id } });
  });

  it("answers 204 when the post's author deletes it", async () => {
    const { commentId } = await commentedPost();
    expect((await deleteComment(commentId, postAuthor)).statusCode).toBe(204);
    expect(await h.eventTypes(streamIds.comment(commentId))).toEqual(['CommentAdded', 'CommentDeleted']);
  });

  it('answers 403 to anybody else', async () => {
    const { commentId } = await commentedPost();
    expect((await deleteComment(commentId, stranger)).statusCode).toBe(403);
    expect(await h.eventTypes(streamIds.comment(commentId))).toEqual(['CommentAdded']);
  });

  it('answers 404 for a comment that does not exist, is already deleted, or is under a deleted post', async () => {
    expect((await deleteComment(unknownId(), commenter)).statusCode).toBe(404);
    const first = await commentedPost();
    await deleteComment(first.commentId, commenter);
    expect((await deleteComment(first.commentId, commenter)).statusCode).toBe(404);
    const second = await commentedPost();
    await h.call('DELETE', `/api/v1/posts/${second.postId}`, { as: postAuthor });
    expect((await deleteComment(second.commentId, commenter)).statusCode).toBe(404);
  });

  it("answers 404 to the post's author for the comment of an account that was deleted", async () => {
    const { id: postId } = await h.createPost(postAuthor);
    const gone = await h.registerUser('gone2');
    const { id: commentId } = await h.addComment(gone, postId);
    await h.deleteUser(gone);
    expect((await deleteComment(commentId, postAuthor)).statusCode).toBe(404);
  });

  it('answers 400 for a malformed id and 401 without a token', async () => {
    expect((await deleteComment('1', commenter)).statusCode).toBe(400);
    const { commentId } = await commentedPost();
    expect((await deleteComment(commentId)).statusCode).toBe(401);
  });
});
