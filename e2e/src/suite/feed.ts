import { describe, expect, it } from 'vitest';
import { ApiClient, type Page, type Post } from '../api/client.js';
import { allPages, createPost, expectProblem, expectStatus, ids, signUp } from '../api/fixtures.js';
import type { SystemRef } from './system.js';

export function feedSuite(system: SystemRef): void {
  describe('the home feed', () => {
    const api = () => new ApiClient(system().url);

    it('shows my posts and those of whom I follow, newest first; a follow brings posts in, an unfollow and a delete take them out', async () => {
      const client = api();
      const [me, friend, stranger] = [await signUp(client), await signUp(client), await signUp(client)];
      const friendOld = await createPost(client, friend, 'before the follow');
      const mine = await createPost(client, me, 'mine');
      await createPost(client, stranger, 'not followed');
      const feed = () => client.get<Page<Post>>('/api/v1/feed', { token: me.accessToken });

      expect((await feed()).body).toEqual({ items: [{ ...mine, likedByMe: false }], nextCursor: null });
      expectStatus(await client.put(`/api/v1/users/${friend.id}/follow`, { token: me.accessToken }), 204);
      expect(ids((await feed()).body.items)).toEqual([mine.id, friendOld.id]);

      const friendNew = await createPost(client, friend, 'after the follow');
      expectStatus(await client.put(`/api/v1/posts/${friendNew.id}/like`, { token: me.accessToken }), 204);
      const withNew = await feed();
      expect(ids(withNew.body.items)).toEqual([friendNew.id, mine.id, friendOld.id]);
      expect(withNew.body.items[0]).toMatchObject({ likesCount: 1, likedByMe: true, author: friend.summary });

      expectStatus(await client.delete(`/api/v1/posts/${friendOld.id}`, { token: friend.accessToken }), 204);
      expect(ids((await feed()).body.items)).toEqual([friendNew.id, mine.id]);
      expectStatus(await client.delete(`/api/v1/users/${friend.id}/follow`, { token: me.accessToken }), 204);
      expect(ids((await feed()).body.items)).toEqual([mine.id]);

      expectProblem(await client.get('/api/v1/feed'), 401);
      expectProblem(await client.get('/api/v1/feed?limit=101', { token: me.accessToken }), 400, 'limit');
    });

    it('pages 20 by default, or by limit and cursor; a post arriving meanwhile neither repeats nor skips an item', async () => {
      const client = api();
      const [me, friend] = [await signUp(client), await signUp(client)];
      expectStatus(await client.put(`/api/v1/users/${friend.id}/follow`, { token: me.accessToken }), 204);
      const posts: Post[] = [];
      for (let i = 0; i < 21; i++) posts.push(await createPost(client, i % 2 ? me : friend, `p${i}`));
      const expected = ids(posts).reverse();

      const byDefault = await client.get<Page<Post>>('/api/v1/feed', { token: me.accessToken });
      expect(ids(byDefault.body.items)).toEqual(expected.slice(0, 20));
      expect(byDefault.body.nextCursor).toEqual(expect.any(String));
      const whole = await allPages<Post>(client, '/api/v1/feed', { limit: 8, token: me.accessToken });
      expect(whole.pages).toBe(3);
      expect(ids(whole.items)).toEqual(expected);

      const first = await client.get<Page<Post>>('/api/v1/feed?limit=8', { token: me.accessToken });
      expect(ids(first.body.items)).toEqual(expected.slice(0, 8));
      await createPost(client, friend, 'arrives while paging');
      const seen = ids(first.body.items);
      let cursor = first.body.nextCursor;
      while (cursor !== null) {
        const page: { body: Page<Post> } = await client.get<Page<Post>>(
          `/api/v1/feed?limit=8&cursor=${encodeURIComponent(cursor)}`,
          { token: me.accessToken },
        );
        seen.push(...ids(page.body.items));
        cursor = page.body.nextCursor;
      }
      expect(seen).toEqual(expected);
    });
  });
}
