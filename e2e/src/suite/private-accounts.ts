import { describe, expect, it } from 'vitest';
import { ApiClient, type Page, type Post, type Profile } from '../api/client.js';
import { allPages, createPost, expectProblem, expectStatus, ids, signUp } from '../api/fixtures.js';
import type { SystemRef } from './system.js';

interface FollowRequestItem {
  user: { id: string };
  requestedAt: string;
}

export function privateAccountsSuite(system: SystemRef): void {
  describe('private accounts and follow requests', () => {
    const api = () => new ApiClient(system().url);

    it('a follow of a private account is a request; accepted, the follower reads its posts and its feed has them; removed, it no longer reads them', async () => {
      const client = api();
      const [a, b] = [await signUp(client, 'asker'), await signUp(client, 'private')];
      const post = await createPost(client, b, 'for followers only');
      const turned = await client.patch<Profile>('/api/v1/users/me', {
        token: b.accessToken,
        json: { isPrivate: true },
      });
      expectStatus(turned, 200);
      expect(turned.body.isPrivate).toBe(true);

      const asked = await client.put<{ status: string }>(`/api/v1/users/${b.id}/follow`, {
        token: a.accessToken,
      });
      expectStatus(asked, 202);
      expect(asked.body).toEqual({ status: 'requested' });
      expectStatus(await client.put(`/api/v1/users/${b.id}/follow`, { token: a.accessToken }), 202);

      const requests = await client.get<Page<FollowRequestItem>>('/api/v1/users/me/follow-requests', {
        token: b.accessToken,
      });
      expectStatus(requests, 200);
      expect(requests.body.items.map((r) => r.user.id)).toEqual([a.id]);
      const seen = await client.get<Profile>(`/api/v1/users/${b.id}`, { token: a.accessToken });
      expect(seen.body).toMatchObject({
        isPrivate: true,
        requestedByMe: true,
        followedByMe: false,
        postCount: 1,
      });

      for (const path of [
        `/api/v1/users/${b.id}/posts`,
        `/api/v1/posts/${post.id}`,
        `/api/v1/posts/${post.id}/comments`,
      ]) {
        expectProblem(await client.get(path, { token: a.accessToken }), 403, undefined, 'private-account');
      }
      expectProblem(await client.get(`/api/v1/users/${b.id}/followers`), 403, undefined, 'private-account');
      expectProblem(
        await client.put(`/api/v1/posts/${post.id}/like`, { token: a.accessToken }),
        403,
        undefined,
        'private-account',
      );
      expectProblem(
        await client.post(`/api/v1/posts/${post.id}/comments`, {
          token: a.accessToken,
          json: { text: 'hi' },
        }),
        403,
        undefined,
        'private-account',
      );

      expectStatus(
        await client.put(`/api/v1/users/me/follow-requests/${a.id}`, { token: b.accessToken }),
        204,
      );
      expectStatus(await client.put(`/api/v1/posts/${post.id}/like`, { token: a.accessToken }), 204);
      const posts = await client.get<Page<Post>>(`/api/v1/users/${b.id}/posts`, { token: a.accessToken });
      expectStatus(posts, 200);
      expect(ids(posts.body.items)).toEqual([post.id]);
      const feed = await client.get<Page<Post>>('/api/v1/feed', { token: a.accessToken });
      expect(ids(feed.body.items)).toContain(post.id);
      const byB = await client.get<Profile>(`/api/v1/users/${a.id}`, { token: b.accessToken });
      expect(byB.body).toMatchObject({ followsMe: true });
      expect((await client.get<Profile>(`/api/v1/users/${b.id}`)).body.followersCount).toBe(1);

      expectStatus(await client.delete(`/api/v1/users/me/followers/${a.id}`, { token: b.accessToken }), 204);
      expectProblem(
        await client.get(`/api/v1/users/${b.id}/posts`, { token: a.accessToken }),
        403,
        undefined,
        'private-account',
      );
      const after = await client.get<Page<Post>>('/api/v1/feed', { token: a.accessToken });
      expect(ids(after.body.items)).not.toContain(post.id);
    });

    it("a private account's posts leave explore, and come back when it switches to public", async () => {
      const client = api();
      const [author, stranger] = [await signUp(client), await signUp(client)];
      const post = await createPost(client, author, 'soon private');
      const explored = async () =>
        ids(
          (await allPages<Post>(client, '/api/v1/explore', { limit: 50, token: stranger.accessToken })).items,
        );
      expect(await explored()).toContain(post.id);
      const setPrivate = (isPrivate: boolean) =>
        client.patch<Profile>('/api/v1/users/me', { token: author.accessToken, json: { isPrivate } });
      expectStatus(await setPrivate(true), 200);
      expect(await explored()).not.toContain(post.id);
      expectStatus(await setPrivate(false), 200);
      expect(await explored()).toContain(post.id);
    });

    it('declining, withdrawing and the 404s of the follow-request routes', async () => {
      const client = api();
      const [a, b] = [await signUp(client), await signUp(client)];
      await client.patch('/api/v1/users/me', { token: b.accessToken, json: { isPrivate: true } });
      expectStatus(await client.put(`/api/v1/users/${b.id}/follow`, { token: a.accessToken }), 202);
      expectStatus(await client.delete(`/api/v1/users/${b.id}/follow`, { token: a.accessToken }), 204);
      expectProblem(
        await client.put(`/api/v1/users/me/follow-requests/${a.id}`, { token: b.accessToken }),
        404,
      );
      expectStatus(await client.put(`/api/v1/users/${b.id}/follow`, { token: a.accessToken }), 202);
      expectStatus(
        await client.delete(`/api/v1/users/me/follow-requests/${a.id}`, { token: b.accessToken }),
        204,
      );
      expectStatus(
        await client.delete(`/api/v1/users/me/follow-requests/${a.id}`, { token: b.accessToken }),
        204,
      );
      const list = await client.get<Page<FollowRequestItem>>('/api/v1/users/me/follow-requests', {
        token: b.accessToken,
      });
      expect(list.body.items).toEqual([]);
      expectProblem(await client.get('/api/v1/users/me/follow-requests'), 401);
      const unknown = '0190a000-0000-7000-8000-000000000000';
      expectProblem(
        await client.delete(`/api/v1/users/me/follow-requests/${unknown}`, { token: b.accessToken }),
        404,
      );
      expectProblem(
        await client.delete(`/api/v1/users/me/followers/${unknown}`, { token: b.accessToken }),
        404,
      );
      expectStatus(await client.delete(`/api/v1/users/me/followers/${a.id}`, { token: b.accessToken }), 204);
    });
  });
}
