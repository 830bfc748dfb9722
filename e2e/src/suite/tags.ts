import { describe, expect, it } from 'vitest';
import { ApiClient, type Page, type Post, type Tag } from '../api/client.js';
import {
  allPages,
  createPost,
  expectProblem,
  expectStatus,
  ids,
  signUp,
  type User,
} from '../api/fixtures.js';
import type { SystemRef } from './system.js';

export function tagsSuite(system: SystemRef): void {
  describe('hashtags, mentions, tag pages and explore', () => {
    const api = () => new ApiClient(system().url);
    /** a tag of this run only, so that other tests' posts do not land on its page */
    const freshTag = (user: User) => `café${user.userName.replace(/[^a-z0-9]/gi, '')}`.toLowerCase();

    it('a post shows its hashtags, normalized, and the live accounts it mentions', async () => {
      const client = api();
      const [author, friend] = [await signUp(client, 'author'), await signUp(client, 'friend')];
      const tag = freshTag(author);
      const post = await createPost(
        client,
        author,
        `#${tag.toUpperCase()} with @${friend.userName.toUpperCase()} and @nobody_at_all #${tag} #Sun`,
      );
      expect(post.hashtags).toEqual([tag, 'sun']);
      expect(post.mentions).toEqual([friend.summary]);
      const read = await client.get<Post>(`/api/v1/posts/${post.id}`);
      expect(read.body).toMatchObject({ hashtags: [tag, 'sun'], mentions: [friend.summary] });
    });

    it('a tag page lists live posts of public accounts, recent and top, with its count; a private account leaves it', async () => {
      const client = api();
      const [one, other, liker] = [await signUp(client), await signUp(client), await signUp(client)];
      const tag = freshTag(one);
      const first = await createPost(client, one, `first #${tag}`);
      const second = await createPost(client, other, `second #${tag}`);
      expectStatus(await client.put(`/api/v1/posts/${first.id}/like`, { token: liker.accessToken }), 204);

      const page = (order?: string) =>
        client.get<Page<Post>>(
          `/api/v1/tags/${encodeURIComponent(tag.toUpperCase())}/posts${order ? `?order=${order}` : ''}`,
        );
      expect(ids((await page()).body.items)).toEqual([second.id, first.id]);
      expect(ids((await page('top')).body.items)).toEqual([first.id, second.id]);
      const summary = await client.get<Tag>(`/api/v1/tags/${encodeURIComponent(tag)}`);
      expect(summary.body).toEqual({ name: tag, postCount: 2 });

      expectStatus(
        await client.patch('/api/v1/users/me', { token: other.accessToken, json: { isPrivate: true } }),
        200,
      );
      expect(ids((await page()).body.items)).toEqual([first.id]);
      expect((await client.get<Tag>(`/api/v1/tags/${encodeURIComponent(tag)}`)).body.postCount).toBe(1);
      expectStatus(await client.delete(`/api/v1/posts/${first.id}`, { token: one.accessToken }), 204);
      expectProblem(await client.get(`/api/v1/tags/${encodeURIComponent(tag)}`), 404);
    });

    it('tag routes answer 400 for what is no hashtag or order', async () => {
      const client = api();
      expectProblem(await client.get(`/api/v1/tags/${encodeURIComponent('two words')}`), 400);
      expectProblem(await client.get('/api/v1/tags/sun/posts?order=best'), 400);
    });

    it("explore shows others' recent public posts, never my own nor those of accounts I follow", async () => {
      const client = api();
      const [me, followed, stranger] = [await signUp(client), await signUp(client), await signUp(client)];
      expectStatus(await client.put(`/api/v1/users/${followed.id}/follow`, { token: me.accessToken }), 204);
      const mine = await createPost(client, me, 'mine');
      const theirs = await createPost(client, followed, 'followed');
      const strangers = await createPost(client, stranger, 'a stranger');
      // Every page: posts with more engagement in the same hour come first, and other tests publish too.
      const explore = await allPages<Post>(client, '/api/v1/explore', { limit: 50, token: me.accessToken });
      const shown = ids(explore.items);
      expect(new Set(shown).size).toBe(shown.length);
      expect(shown).toContain(strangers.id);
      expect(shown).not.toContain(mine.id);
      expect(shown).not.toContain(theirs.id);
    });
  });
}
