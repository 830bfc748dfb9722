import { describe, expect, it } from 'vitest';
import { ApiClient, type Page, type Post, type Profile, type UserSummary } from '../api/client.js';
import {
  allPages,
  createPost,
  expectProblem,
  expectStatus,
  ids,
  malformedId,
  signUp,
  unknownId,
} from '../api/fixtures.js';
import type { SystemRef } from './system.js';

export function socialGraphSuite(system: SystemRef): void {
  describe('profiles and the social graph', () => {
    const api = () => new ApiClient(system().url);

    it('reads a profile by id and by userName (any case), followedByMe only when authenticated; 404 and 400', async () => {
      const client = api();
      const [alice, bob] = [await signUp(client), await signUp(client)];
      const anonymous = await client.get<Profile>(`/api/v1/users/${alice.id}`);
      expectStatus(anonymous, 200);
      expect(anonymous.body).toMatchObject(alice.summary);
      expect(anonymous.body).not.toHaveProperty('followedByMe');

      const byBob = await client.get<Profile>(`/api/v1/users/${alice.id}`, { token: bob.accessToken });
      expect(byBob.body.followedByMe).toBe(false);
      const byName = await client.get<Profile>(`/api/v1/users/by-username/${alice.userName.toUpperCase()}`);
      expectStatus(byName, 200);
      expect(byName.body).toEqual(anonymous.body);

      expectProblem(await client.get(`/api/v1/users/${unknownId()}`), 404);
      expectProblem(await client.get(`/api/v1/users/${malformedId}`), 400);
      expectProblem(await client.get(`/api/v1/users/by-username/${alice.userName}_gone`), 404);
    });

    it('PUT follow answers 204, twice counts once, sets followedByMe; 400 for oneself; 404 unknown; 401 anonymous', async () => {
      const client = api();
      const [alice, bob] = [await signUp(client), await signUp(client)];
      expectStatus(await client.put(`/api/v1/users/${alice.id}/follow`, { token: bob.accessToken }), 204);
      expectStatus(await client.put(`/api/v1/users/${alice.id}/follow`, { token: bob.accessToken }), 204);

      const aliceSeenByBob = await client.get<Profile>(`/api/v1/users/${alice.id}`, {
        token: bob.accessToken,
      });
      expect(aliceSeenByBob.body).toMatchObject({ followersCount: 1, followingCount: 0, followedByMe: true });
      const bobProfile = await client.get<Profile>(`/api/v1/users/${bob.id}`, { token: alice.accessToken });
      expect(bobProfile.body).toMatchObject({ followersCount: 0, followingCount: 1, followedByMe: false });

      expectProblem(await client.put(`/api/v1/users/${bob.id}/follow`, { token: bob.accessToken }), 400);
      expectProblem(await client.put(`/api/v1/users/${unknownId()}/follow`, { token: bob.accessToken }), 404);
      expectProblem(await client.put(`/api/v1/users/${malformedId}/follow`, { token: bob.accessToken }), 400);
      expectProblem(await client.put(`/api/v1/users/${alice.id}/follow`), 401);
    });

    it('DELETE follow answers 204, also when not following, and the counts drop; 404 unknown', async () => {
      const client = api();
      const [alice, bob] = [await signUp(client), await signUp(client)];
      expectStatus(await client.delete(`/api/v1/users/${alice.id}/follow`, { token: bob.accessToken }), 204);
      expectStatus(await client.put(`/api/v1/users/${alice.id}/follow`, { token: bob.accessToken }), 204);
      expectStatus(await client.delete(`/api/v1/users/${alice.id}/follow`, { token: bob.accessToken }), 204);
      expectStatus(await client.delete(`/api/v1/users/${alice.id}/follow`, { token: bob.accessToken }), 204);
      const alicePage = await client.get<Profile>(`/api/v1/users/${alice.id}`, { token: bob.accessToken });
      expect(alicePage.body).toMatchObject({ followersCount: 0, followedByMe: false });
      const bobPage = await client.get<Profile>(`/api/v1/users/${bob.id}`);
      expect(bobPage.body.followingCount).toBe(0);
      const followers = await client.get<Page<UserSummary>>(`/api/v1/users/${alice.id}/followers`);
      expect(followers.body).toEqual({ items: [], nextCursor: null });

      expectProblem(
        await client.delete(`/api/v1/users/${unknownId()}/follow`, { token: bob.accessToken }),
        404,
      );
      expectProblem(await client.delete(`/api/v1/users/${alice.id}/follow`), 401);
    });

    it('lists followers and following newest follow first, paged by limit and cursor; 404 unknown; 400 bad limit', async () => {
      const client = api();
      const star = await signUp(client);
      const fans = [];
      for (let i = 0; i < 5; i++) fans.push(await signUp(client));
      for (const fan of fans) {
        expectStatus(await client.put(`/api/v1/users/${star.id}/follow`, { token: fan.accessToken }), 204);
      }
      const followed = [];
      for (let i = 0; i < 3; i++) followed.push(await signUp(client));
      for (const user of followed) {
        expectStatus(await client.put(`/api/v1/users/${user.id}/follow`, { token: star.accessToken }), 204);
      }

      const followers = await client.get<Page<UserSummary>>(`/api/v1/users/${star.id}/followers`);
      expectStatus(followers, 200);
      expect(followers.body).toEqual({ items: fans.map((fan) => fan.summary).reverse(), nextCursor: null });
      const paged = await allPages<UserSummary>(client, `/api/v1/users/${star.id}/followers`, { limit: 2 });
      expect(paged.pages).toBe(3);
      expect(ids(paged.items)).toEqual(ids(fans).reverse());

      const following = await client.get<Page<UserSummary>>(`/api/v1/users/${star.id}/following`);
      expect(following.body).toEqual({
        items: followed.map((user) => user.summary).reverse(),
        nextCursor: null,
      });
      const star2 = await client.get<Profile>(`/api/v1/users/${star.id}`);
      expect(star2.body).toMatchObject({ followersCount: 5, followingCount: 3 });

      for (const list of ['followers', 'following']) {
        expectProblem(await client.get(`/api/v1/users/${unknownId()}/${list}`), 404);
        expectProblem(await client.get(`/api/v1/users/${malformedId}/${list}`), 400);
        expectProblem(await client.get(`/api/v1/users/${star.id}/${list}?limit=0`), 400, 'limit');
        expectProblem(await client.get(`/api/v1/users/${star.id}/${list}?limit=101`), 400, 'limit');
        expectStatus(await client.get(`/api/v1/users/${star.id}/${list}?limit=100`), 200);
        expectProblem(
          await client.get(`/api/v1/users/${star.id}/${list}?cursor=not-a-cursor`),
          400,
          'cursor',
        );
      }
    });

    it("lists a user's posts newest first with likedByMe for the caller; postCount; 404 unknown", async () => {
      const client = api();
      const [author, reader] = [await signUp(client), await signUp(client)];
      const posts: Post[] = [];
      for (let i = 0; i < 4; i++) posts.push(await createPost(client, author, `post ${i}`));
      expectStatus(
        await client.put(`/api/v1/posts/${posts[1]?.id}/like`, { token: reader.accessToken }),
        204,
      );

      const list = await client.get<Page<Post>>(`/api/v1/users/${author.id}/posts`, {
        token: reader.accessToken,
      });
      expectStatus(list, 200);
      expect(ids(list.body.items)).toEqual(ids(posts).reverse());
      expect(list.body.items.map((post) => post.likedByMe)).toEqual([false, false, true, false]);
      expect(list.body.items[0]?.author).toEqual(author.summary);
      const anonymous = await client.get<Page<Post>>(`/api/v1/users/${author.id}/posts?limit=3`);
      expect(anonymous.body.items).toHaveLength(3);
      expect(anonymous.body.items[0]).not.toHaveProperty('likedByMe');
      expect(anonymous.body.nextCursor).toEqual(expect.any(String));
      const profile = await client.get<Profile>(`/api/v1/users/${author.id}`);
      expect(profile.body.postCount).toBe(4);

      expectProblem(await client.get(`/api/v1/users/${unknownId()}/posts`), 404);
      expectProblem(await client.get(`/api/v1/users/${malformedId}/posts`), 400);
    });
  });
}
