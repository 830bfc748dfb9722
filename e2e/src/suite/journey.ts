import { describe, expect, it } from 'vitest';
import {
  ApiClient,
  type Comment,
  type Media,
  type Page,
  type Post,
  type Profile,
  type Reply,
  type UserSummary,
} from '../api/client.js';
import { expectProblem, expectStatus, ids, logIn, password, signUp, type User } from '../api/fixtures.js';
import { smallPng, uploadForm } from '../api/images.js';
import type { SystemRef } from './system.js';

export function journeySuite(system: SystemRef): void {
  describe('a whole user journey', () => {
    it('sign up, post, follow, like, comment, reply, feed, unfollow, delete the account: every count follows', async () => {
      const client = new ApiClient(system().url);
      const alice = await signUp(client, 'Alice');
      const bob = await signUp(client, 'Bob');
      const carol = await signUp(client, 'Carol');

      const profile = async (user: User, viewer?: User) => {
        const res = await client.get<Profile>(`/api/v1/users/${user.id}`, {
          ...(viewer ? { token: viewer.accessToken } : {}),
        });
        expectStatus(res, 200);
        return res.body;
      };
      const counts = async (user: User) => {
        const { followersCount, followingCount, postCount } = await profile(user);
        return { followersCount, followingCount, postCount };
      };
      const post = async (id: string, viewer?: User) => {
        const res = await client.get<Post>(`/api/v1/posts/${id}`, {
          ...(viewer ? { token: viewer.accessToken } : {}),
        });
        expectStatus(res, 200);
        return res.body;
      };
      const feed = async (user: User) => {
        const res = await client.get<Page<Post>>('/api/v1/feed', { token: user.accessToken });
        expectStatus(res, 200);
        return ids(res.body.items);
      };
      const list = async <T extends { id: string }>(path: string) => {
        const res = await client.get<Page<T>>(path);
        expectStatus(res, 200);
        return ids(res.body.items);
      };

      // Alice posts a photo she uploads.
      const upload = await client.post<Media>('/api/v1/media', {
        token: alice.accessToken,
        body: uploadForm(await smallPng(), 'first.png', 'image/png'),
      });
      expectStatus(upload, 201);
      const created = await client.post<Post>('/api/v1/posts', {
        token: alice.accessToken,
        json: { photo: upload.body.variants.standard, caption: 'my first post' },
      });
      expectStatus(created, 201);
      const p1 = created.body.id;
      expect(await counts(alice)).toEqual({ followersCount: 0, followingCount: 0, postCount: 1 });
      expect(await feed(alice)).toEqual([p1]);

      // Bob and Carol follow Alice.
      expectStatus(await client.put(`/api/v1/users/${alice.id}/follow`, { token: bob.accessToken }), 204);
      expectStatus(await client.put(`/api/v1/users/${alice.id}/follow`, { token: carol.accessToken }), 204);
      expect(await counts(alice)).toEqual({ followersCount: 2, followingCount: 0, postCount: 1 });
      expect(await counts(bob)).toEqual({ followersCount: 0, followingCount: 1, postCount: 0 });
      expect((await profile(alice, bob)).followedByMe).toBe(true);
      expect(await feed(bob)).toEqual([p1]);
      expect(await list<UserSummary>(`/api/v1/users/${alice.id}/followers`)).toEqual([carol.id, bob.id]);

      // Likes.
      expectStatus(await client.put(`/api/v1/posts/${p1}/like`, { token: bob.accessToken }), 204);
      expectStatus(await client.put(`/api/v1/posts/${p1}/like`, { token: carol.accessToken }), 204);
      expectStatus(await client.put(`/api/v1/posts/${p1}/like`, { token: carol.accessToken }), 204);
      expect(await post(p1, bob)).toMatchObject({ likesCount: 2, commentsCount: 0, likedByMe: true });
      expect((await post(p1, alice)).likedByMe).toBe(false);
      expect(await list<UserSummary>(`/api/v1/posts/${p1}/likes`)).toEqual([carol.id, bob.id]);

      // Comments and replies.
      const c1 = await client.post<Comment>(`/api/v1/posts/${p1}/comments`, {
        token: bob.accessToken,
        json: { text: 'lovely' },
      });
      expectStatus(c1, 201);
      const c2 = await client.post<Comment>(`/api/v1/posts/${p1}/comments`, {
        token: carol.accessToken,
        json: { text: 'wow' },
      });
      expectStatus(c2, 201);
      const r1 = await client.post<Reply>(`/api/v1/comments/${c1.body.id}/replies`, {
        token: alice.accessToken,
        json: { text: 'thanks Bob' },
      });
      expectStatus(r1, 201);
      const r2 = await client.post<Reply>(`/api/v1/comments/${c1.body.id}/replies`, {
        token: carol.accessToken,
        json: { text: 'agreed' },
      });
      expectStatus(r2, 201);
      expect((await post(p1)).commentsCount).toBe(2);
      const comments = await client.get<Page<Comment>>(`/api/v1/posts/${p1}/comments`);
      expect(comments.body.items.map((c) => [c.id, c.replyCount])).toEqual([
        [c1.body.id, 2],
        [c2.body.id, 0],
      ]);
      expect(await list<Reply>(`/api/v1/comments/${c1.body.id}/replies`)).toEqual([r1.body.id, r2.body.id]);

      // Carol posts; Alice follows her and sees both posts, newest first.
      const p2 = (
        await client.post<Post>('/api/v1/posts', {
          token: carol.accessToken,
          json: { photo: upload.body.url, caption: 'carol here' },
        })
      ).body.id;
      expectStatus(await client.put(`/api/v1/users/${carol.id}/follow`, { token: alice.accessToken }), 204);
      expect(await feed(alice)).toEqual([p2, p1]);
      expect(await counts(carol)).toEqual({ followersCount: 1, followingCount: 1, postCount: 1 });

      // Bob unfollows Alice: her post leaves his feed.
      expectStatus(await client.delete(`/api/v1/users/${alice.id}/follow`, { token: bob.accessToken }), 204);
      expect(await feed(bob)).toEqual([]);
      expect(await counts(alice)).toEqual({ followersCount: 1, followingCount: 1, postCount: 1 });
      expect(await counts(bob)).toEqual({ followersCount: 0, followingCount: 0, postCount: 0 });

      // Carol deletes her account: she leaves every count, list and feed of the others.
      expectStatus(await client.delete('/api/v1/users/me', { token: carol.accessToken }), 204);
      expect(await counts(alice)).toEqual({ followersCount: 0, followingCount: 0, postCount: 1 });
      expect(await post(p1, bob)).toMatchObject({ likesCount: 1, commentsCount: 1, likedByMe: true });
      expect(await list<UserSummary>(`/api/v1/posts/${p1}/likes`)).toEqual([bob.id]);
      expect(await list<UserSummary>(`/api/v1/users/${alice.id}/followers`)).toEqual([]);
      expect(await list<UserSummary>(`/api/v1/users/${alice.id}/following`)).toEqual([]);
      const after = await client.get<Page<Comment>>(`/api/v1/posts/${p1}/comments`);
      expect(after.body.items.map((c) => [c.id, c.replyCount])).toEqual([[c1.body.id, 1]]);
      expect(await list<Reply>(`/api/v1/comments/${c1.body.id}/replies`)).toEqual([r1.body.id]);
      expect(await feed(alice)).toEqual([p1]);
      expectProblem(await client.get(`/api/v1/posts/${p2}`), 404);
      expectProblem(await client.get(`/api/v1/users/${carol.id}`), 404);
      expectProblem(await client.get(`/api/v1/users/${carol.id}/posts`), 404);
      expectProblem(await client.post('/api/v1/auth/login', { json: { login: carol.email, password } }), 401);

      // The others carry on.
      const again = await logIn(client, alice.userName);
      expectStatus(await client.get('/api/v1/users/me', { token: again.accessToken }), 200);
    });
  });
}
