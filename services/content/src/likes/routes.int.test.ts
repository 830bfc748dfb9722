import { streamIds } from '@gram/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ContentHarness, startContent, type TestUser, unknownId } from '../../test/content-harness.js';

let h: ContentHarness;
let ada: TestUser;
let bob: TestUser;

beforeAll(async () => {
  h = await startContent();
  ada = await h.registerUser('ada');
  bob = await h.registerUser('bob');
});
afterAll(() => h.close());

const like = (postId: string, as: TestUser) => h.call('PUT', `/api/v1/posts/${postId}/like`, { as });
const unlike = (postId: string, as: TestUser) => h.call('DELETE', `/api/v1/posts/${postId}/like`, { as });

describe('PUT /api/v1/posts/:postId/like', () => {
  it("answers 204 and records PostLiked with the post's author in the (post, user) like stream", async () => {
    const { id } = await h.createPost(ada);
    const res = await like(id, bob);
    expect(res.statusCode).toBe(204);
    expect(res.headers['x-stream-revision']).toBe('0');
    expect(res.headers['x-consistency-token']).toMatch(/^p/);
    const [liked] = await h.store.readStream(streamIds.like(id, bob.id));
    expect(liked).toMatchObject({
      type: 'PostLiked',
      data: { postId: id, userId: bob.id, postAuthorId: ada.id },
      metadata: { actorId: bob.id },
    });
  });

  it('answers 204 again for a second like and records it once, sending the position of the first', async () => {
    const { id } = await h.createPost(ada);
    const first = await like(id, bob);
    const second = await like(id, bob);
    expect(second.statusCode).toBe(204);
    expect(second.headers['x-stream-revision']).toBe('0');
    expect(second.headers['x-global-position']).toBe(first.headers['x-global-position']);
    expect(await h.eventTypes(streamIds.like(id, bob.id))).toEqual(['PostLiked']);
  });

  it('records like, unlike, like as PostLiked, PostUnliked, PostLiked', async () => {
    const { id } = await h.createPost(ada);
    expect((await like(id, bob)).statusCode).toBe(204);
    expect((await unlike(id, bob)).statusCode).toBe(204);
    expect((await like(id, bob)).statusCode).toBe(204);
    expect(await h.eventTypes(streamIds.like(id, bob.id))).toEqual(['PostLiked', 'PostUnliked', 'PostLiked']);
  });

  it('lets an author like their own post', async () => {
    const { id } = await h.createPost(ada);
    expect((await like(id, ada)).statusCode).toBe(204);
  });

  it('answers 404 for a post that does not exist, was deleted, or whose author deleted their account', async () => {
    expect((await like(unknownId(), bob)).statusCode).toBe(404);
    const { id: deleted } = await h.createPost(ada);
    await h.call('DELETE', `/api/v1/posts/${deleted}`, { as: ada });
    expect((await like(deleted, bob)).statusCode).toBe(404);
    const cleo = await h.registerUser('cleo');
    const { id: orphan } = await h.createPost(cleo);
    await h.deleteUser(cleo);
    expect((await like(orphan, bob)).statusCode).toBe(404);
    expect(await h.eventTypes(streamIds.like(deleted, bob.id))).toEqual([]);
  });

  it('answers 400 for a malformed post id and 401 without a token', async () => {
    expect((await like('nope', bob)).statusCode).toBe(400);
    const { id } = await h.createPost(ada);
    expect((await h.call('PUT', `/api/v1/posts/${id}/like`)).statusCode).toBe(401);
  });
});

describe('DELETE /api/v1/posts/:postId/like', () => {
  it('answers 204 and records PostUnliked when the user likes the post', async () => {
    const { id } = await h.createPost(ada);
    await like(id, bob);
    const res = await unlike(id, bob);
    expect(res.statusCode).toBe(204);
    expect(res.headers['x-stream-revision']).toBe('1');
    expect(await h.eventTypes(streamIds.like(id, bob.id))).toEqual(['PostLiked', 'PostUnliked']);
  });

  it('answers 204 and records nothing when the user does not like the post', async () => {
    const { id } = await h.createPost(ada);
    const res = await unlike(id, bob);
    expect(res.statusCode).toBe(204);
    expect(res.headers['x-stream-revision']).toBe('-1');
    expect(await h.eventTypes(streamIds.like(id, bob.id))).toEqual([]);
    await like(id, bob);
    await unlike(id, bob);
    expect((await unlike(id, bob)).statusCode).toBe(204);
    expect(await h.eventTypes(streamIds.like(id, bob.id))).toEqual(['PostLiked', 'PostUnliked']);
  });

  it('answers 404 for a post that does not exist or was deleted', async () => {
    expect((await unlike(unknownId(), bob)).statusCode).toBe(404);
    const { id } = await h.createPost(ada);
    await like(id, bob);
    await h.call('DELETE', `/api/v1/posts/${id}`, { as: ada });
    expect((await unlike(id, bob)).statusCode).toBe(404);
  });

  it('answers 400 for a malformed post id and 401 without a token', async () => {
    expect((await unlike('nope', bob)).statusCode).toBe(400);
    const { id } = await h.createPost(ada);
    expect((await h.call('DELETE', `/api/v1/posts/${id}/like`)).statusCode).toBe(401);
  });
});
