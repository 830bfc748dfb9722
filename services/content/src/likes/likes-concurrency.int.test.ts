import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ContentHarness, startContent, type TestUser } from '../../test/content-harness.js';

// Concurrent requests over real sockets, the way clients race: the like stream's expected
// revision, not any lock in this service, decides who liked first.
let h: ContentHarness;
let base: string;
let author: TestUser;

beforeAll(async () => {
  h = await startContent();
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  author = await h.registerUser('author');
});
afterAll(() => h.close());

const putLike = (postId: string, user: TestUser) =>
  fetch(`${base}/api/v1/posts/${postId}/like`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${user.token}` },
  });

async function postLikedCount(postId: string): Promise<number> {
  const all = await h.store.readAll();
  return all.filter((e) => e.type === 'PostLiked' && e.streamId.startsWith(`like-${postId}_`)).length;
}

describe('likes under concurrency', () => {
  it('records 100 likes when 100 different users like one post at once', async () => {
    const { id } = await h.createPost(author);
    const users = await Promise.all(Array.from({ length: 100 }, (_, i) => h.registerUser(`fan${i}`)));
    const statuses = await Promise.all(users.map(async (u) => (await putLike(id, u)).status));
    expect(statuses.every((s) => s === 204)).toBe(true);
    expect(await postLikedCount(id)).toBe(100);
  });

  it('records one like when one user sends 50 identical likes at once', async () => {
    const { id } = await h.createPost(author);
    const fan = await h.registerUser('eager');
    const responses = await Promise.all(Array.from({ length: 50 }, () => putLike(id, fan)));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(204));
    expect(await postLikedCount(id)).toBe(1);
    // Every answer points at the one like that exists.
    expect(new Set(responses.map((r) => r.headers.get('x-stream-revision')))).toEqual(new Set(['0']));
  });
});
