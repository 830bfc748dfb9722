import { describe, expect, it } from 'vitest';
import {
  ApiClient,
  type Comment,
  type Page,
  type Post,
  type Profile,
  type Reply,
  type UserSummary,
} from '../api/client.js';
import {
  allPages,
  createPost,
  eventually,
  expectProblem,
  expectStatus,
  ids,
  signUp,
  type User,
  unknownId,
} from '../api/fixtures.js';
import type { SystemRef } from './system.js';

interface FollowRequestItem {
  user: { id: string };
  requestedAt: string;
}

export function blocksSuite(system: SystemRef): void {
  describe('privacy and safety: blocks', () => {
    const api = () => new ApiClient(system().url);

    async function comment(client: ApiClient, user: User, postId: string, text: string) {
      const res = await client.post<Comment>(`/api/v1/posts/${postId}/comments`, {
        token: user.accessToken,
        json: { text },
      });
      expectStatus(res, 201);
      return res.body;
    }

    async function reply(client: ApiClient, user: User, commentId: string, text: string) {
      const res = await client.post<{ id: string }>(`/api/v1/comments/${commentId}/replies`, {
        token: user.accessToken,
        json: { text },
      });
      expectStatus(res, 201);
      return res.body;
    }

    it("a block ends follows both ways and removes the blocked account's likes, comments and replies under the blocker's posts, for good", async () => {
      const client = api();
      const [a, b, c] = [
        await signUp(client, 'blocker'),
        await signUp(client, 'blocked'),
        await signUp(client),
      ];
      expectStatus(await client.put(`/api/v1/users/${b.id}/follow`, { token: a.accessToken }), 204);
      expectStatus(await client.put(`/api/v1/users/${a.id}/follow`, { token: b.accessToken }), 204);
      const post = await createPost(client, a, 'a post of the blocker');
      const elsewhere = await createPost(client, c, 'a post of someone else');
      expectStatus(await client.put(`/api/v1/posts/${post.id}/like`, { token: b.accessToken }), 204);
      expectStatus(await client.put(`/api/v1/posts/${post.id}/like`, { token: c.accessToken }), 204);
      expectStatus(await client.put(`/api/v1/posts/${elsewhere.id}/like`, { token: b.accessToken }), 204);
      await comment(client, b, post.id, 'a comment by the blocked');
      const byC = await comment(client, c, post.id, 'a comment by a bystander');
      await reply(client, b, byC.id, 'a reply by the blocked');
      await reply(client, c, byC.id, 'a reply by a bystander');
      const onElsewhere = await comment(client, b, elsewhere.id, 'kept: not under the blocker');

      expectStatus(await client.put(`/api/v1/users/${b.id}/block`, { token: a.accessToken }), 204);
      expectStatus(await client.put(`/api/v1/users/${b.id}/block`, { token: a.accessToken }), 204);

      const profileOfA = () => client.get<Profile>(`/api/v1/users/${a.id}`, { token: a.accessToken });
      expect((await profileOfA()).body).toMatchObject({ followersCount: 0, followingCount: 0 });
      const ofB = await client.get<Profile>(`/api/v1/users/${b.id}`, { token: a.accessToken });
      expect(ofB.body).toMatchObject({
        blockedByMe: true,
        followedByMe: false,
        followsMe: false,
        followersCount: 0,
        followingCount: 0,
      });
      // What the block removes under A's posts is removed by a process that reacts to it: poll until it has.
      await eventually(async () => {
        const seen = await client.get<Post>(`/api/v1/posts/${post.id}`, {
          token: a.accessToken,
          consistency: false,
        });
        expect(seen.body).toMatchObject({ likesCount: 1, commentsCount: 1 });
      }, 30_000);
      const likers = await client.get<Page<UserSummary>>(`/api/v1/posts/${post.id}/likes`, {
        token: c.accessToken,
      });
      expect(ids(likers.body.items)).toEqual([c.id]);
      const comments = await client.get<Page<Comment>>(`/api/v1/posts/${post.id}/comments`, {
        token: c.accessToken,
      });
      expect(ids(comments.body.items)).toEqual([byC.id]);
      await eventually(async () => {
        const replies = await client.get<Page<Reply>>(`/api/v1/comments/${byC.id}/replies`, {
          token: c.accessToken,
          consistency: false,
        });
        expect(replies.body.items.map((r) => r.author.id)).toEqual([c.id]);
      }, 30_000);
      // B's engagement elsewhere stays.
      const other = await client.get<Post>(`/api/v1/posts/${elsewhere.id}`, { token: c.accessToken });
      expect(other.body).toMatchObject({ likesCount: 1, commentsCount: 1 });
      expect(
        ids((await client.get<Page<Comment>>(`/api/v1/posts/${elsewhere.id}/comments`)).body.items),
      ).toEqual([onElsewhere.id]);

      // Unblocking brings nothing back.
      expectStatus(await client.delete(`/api/v1/users/${b.id}/block`, { token: a.accessToken }), 204);
      expectStatus(await client.delete(`/api/v1/users/${b.id}/block`, { token: a.accessToken }), 204);
      const after = await client.get<Post>(`/api/v1/posts/${post.id}`, { token: b.accessToken });
      expect(after.body).toMatchObject({ likesCount: 1, commentsCount: 1, likedByMe: false });
      expect((await profileOfA()).body).toMatchObject({ followersCount: 0, followingCount: 0 });
      expect(
        (await client.get<Profile>(`/api/v1/users/${b.id}`, { token: a.accessToken })).body.blockedByMe,
      ).toBe(false);
    });

    it('for the blocked account the blocker does not exist; for the blocker the blocked account answers 403 blocked', async () => {
      const client = api();
      const [a, b] = [await signUp(client, 'blocker'), await signUp(client, 'blocked')];
      const postOfA = await createPost(client, a, 'of the blocker');
      const postOfB = await createPost(client, b, 'of the blocked');
      const commentOfA = await comment(client, a, postOfA.id, 'the blocker speaks');
      const commentOfB = await comment(client, b, postOfB.id, 'the blocked speaks');
      expectStatus(await client.put(`/api/v1/users/${b.id}/block`, { token: a.accessToken }), 204);

      // B: A is gone.
      for (const path of [
        `/api/v1/users/${a.id}`,
        `/api/v1/users/${a.id}/posts`,
        `/api/v1/users/${a.id}/followers`,
        `/api/v1/users/${a.id}/following`,
        `/api/v1/posts/${postOfA.id}`,
        `/api/v1/posts/${postOfA.id}/likes`,
        `/api/v1/posts/${postOfA.id}/comments`,
        `/api/v1/comments/${commentOfA.id}/replies`,
      ]) {
        expectProblem(await client.get(path, { token: b.accessToken }), 404);
      }
      expectProblem(await client.put(`/api/v1/users/${a.id}/follow`, { token: b.accessToken }), 404);
      expectProblem(await client.put(`/api/v1/posts/${postOfA.id}/like`, { token: b.accessToken }), 404);
      expectProblem(
        await client.post(`/api/v1/posts/${postOfA.id}/comments`, {
          token: b.accessToken,
          json: { text: 'hi' },
        }),
        404,
      );
      expectProblem(
        await client.post(`/api/v1/comments/${commentOfA.id}/replies`, {
          token: b.accessToken,
          json: { text: 'hi' },
        }),
        404,
      );

      // A: B is there, blocked.
      const seen = await client.get<Profile>(`/api/v1/users/${b.id}`, { token: a.accessToken });
      expectStatus(seen, 200);
      expect(seen.body.blockedByMe).toBe(true);
      for (const path of [
        `/api/v1/users/${b.id}/posts`,
        `/api/v1/users/${b.id}/followers`,
        `/api/v1/users/${b.id}/following`,
        `/api/v1/posts/${postOfB.id}`,
        `/api/v1/posts/${postOfB.id}/likes`,
        `/api/v1/posts/${postOfB.id}/comments`,
        `/api/v1/comments/${commentOfB.id}/replies`,
      ]) {
        expectProblem(await client.get(path, { token: a.accessToken }), 403, undefined, 'blocked');
      }
      expectProblem(
        await client.put(`/api/v1/users/${b.id}/follow`, { token: a.accessToken }),
        403,
        undefined,
        'blocked',
      );
      expectProblem(
        await client.put(`/api/v1/posts/${postOfB.id}/like`, { token: a.accessToken }),
        403,
        undefined,
        'blocked',
      );
      expectProblem(
        await client.post(`/api/v1/posts/${postOfB.id}/comments`, {
          token: a.accessToken,
          json: { text: 'hi' },
        }),
        403,
        undefined,
        'blocked',
      );

      // Only A knows: the list is A's, and nobody else's view says anything of it.
      const blocks = await client.get<Page<UserSummary>>('/api/v1/users/me/blocks', { token: a.accessToken });
      expectStatus(blocks, 200);
      expect(ids(blocks.body.items)).toEqual([b.id]);
      const theirs = await client.get<Page<UserSummary>>('/api/v1/users/me/blocks', { token: b.accessToken });
      expect(theirs.body.items).toEqual([]);
      const anonymous = await client.get<Profile>(`/api/v1/users/${a.id}`);
      expectStatus(anonymous, 200);
      expect(anonymous.body).not.toHaveProperty('blockedByMe');

      // Unblocked, both see each other again.
      expectStatus(await client.delete(`/api/v1/users/${b.id}/block`, { token: a.accessToken }), 204);
      expectStatus(await client.get(`/api/v1/posts/${postOfA.id}`, { token: b.accessToken }), 200);
      expectStatus(await client.get(`/api/v1/posts/${postOfB.id}`, { token: a.accessToken }), 200);
      expectStatus(await client.put(`/api/v1/posts/${postOfA.id}/like`, { token: b.accessToken }), 204);
    });

    it('neither side of a block appears to the other in lists of a third account, nor in feeds, nor in follow requests', async () => {
      const client = api();
      const [a, b, c] = [
        await signUp(client, 'blocker'),
        await signUp(client, 'blocked'),
        await signUp(client),
      ];
      const post = await createPost(client, c, 'a bystander posts');
      for (const user of [a, b]) {
        expectStatus(await client.put(`/api/v1/users/${c.id}/follow`, { token: user.accessToken }), 204);
        expectStatus(await client.put(`/api/v1/posts/${post.id}/like`, { token: user.accessToken }), 204);
        await comment(client, user, post.id, `said by ${user.userName}`);
      }
      const privateA = await client.patch<Profile>('/api/v1/users/me', {
        token: a.accessToken,
        json: { isPrivate: true },
      });
      expectStatus(privateA, 200);
      expectStatus(await client.put(`/api/v1/users/${a.id}/follow`, { token: b.accessToken }), 202);
      expectStatus(await client.put(`/api/v1/users/${b.id}/block`, { token: a.accessToken }), 204);

      for (const [viewer, hidden] of [
        [a, b],
        [b, a],
      ] as const) {
        const likers = await client.get<Page<UserSummary>>(`/api/v1/posts/${post.id}/likes`, {
          token: viewer.accessToken,
        });
        expect(ids(likers.body.items)).toEqual([viewer.id]);
        const comments = await client.get<Page<Comment>>(`/api/v1/posts/${post.id}/comments`, {
          token: viewer.accessToken,
        });
        expect(comments.body.items.map((item) => item.author.id)).toEqual([viewer.id]);
        const followers = await client.get<Page<UserSummary>>(`/api/v1/users/${c.id}/followers`, {
          token: viewer.accessToken,
        });
        expect(ids(followers.body.items)).not.toContain(hidden.id);
        expect(ids(followers.body.items)).toContain(viewer.id);
      }
      // The counts a third account sees are untouched: the lists are filtered for the two sides only.
      const forC = await client.get<Post>(`/api/v1/posts/${post.id}`, { token: c.accessToken });
      expect(forC.body).toMatchObject({ likesCount: 2, commentsCount: 2 });
      const requests = await client.get<Page<FollowRequestItem>>('/api/v1/users/me/follow-requests', {
        token: a.accessToken,
      });
      expect(requests.body.items).toEqual([]);
    });

    it('neither side of a block finds the other in user search, on a tag page or in explore; a third account finds both', async () => {
      const client = api();
      const [a, b, c] = [
        await signUp(client, 'blocker'),
        await signUp(client, 'blocked'),
        await signUp(client),
      ];
      const tag = `blk${a.userName.replace(/[^a-z0-9]/gi, '')}`.toLowerCase();
      const postOf = new Map<string, string>();
      for (const user of [a, b])
        postOf.set(user.id, (await createPost(client, user, `#${tag} by ${user.userName}`)).id);
      expectStatus(await client.put(`/api/v1/users/${b.id}/block`, { token: a.accessToken }), 204);

      const seenBy = async (viewer: User, other: User) => {
        const found = await client.get<Page<UserSummary>>(`/api/v1/search/users?q=${other.userName}`, {
          token: viewer.accessToken,
        });
        expectStatus(found, 200);
        const tagged = await Promise.all(
          ['recent', 'top'].map((order) =>
            allPages<Post>(client, `/api/v1/tags/${tag}/posts?order=${order}`, {
              limit: 50,
              token: viewer.accessToken,
            }),
          ),
        );
        const explore = await allPages<Post>(client, '/api/v1/explore', {
          limit: 50,
          token: viewer.accessToken,
        });
        return {
          search: ids(found.body.items).includes(other.id),
          tagPages: tagged.map((page) => ids(page.items).includes(postOf.get(other.id) as string)),
          explore: ids(explore.items).includes(postOf.get(other.id) as string),
        };
      };
      const hidden = { search: false, tagPages: [false, false], explore: false };
      expect(await seenBy(a, b)).toEqual(hidden);
      expect(await seenBy(b, a)).toEqual(hidden);
      const shown = { search: true, tagPages: [true, true], explore: true };
      expect(await seenBy(c, a)).toEqual(shown);
      expect(await seenBy(c, b)).toEqual(shown);
    });

    it("a block takes each side's posts out of the other's feed", async () => {
      const client = api();
      const [a, b] = [await signUp(client, 'blocker'), await signUp(client, 'blocked')];
      expectStatus(await client.put(`/api/v1/users/${b.id}/follow`, { token: a.accessToken }), 204);
      expectStatus(await client.put(`/api/v1/users/${a.id}/follow`, { token: b.accessToken }), 204);
      const ofA = await createPost(client, a, 'by the blocker');
      const ofB = await createPost(client, b, 'by the blocked');
      const feedOf = (user: User) => client.get<Page<Post>>('/api/v1/feed', { token: user.accessToken });
      expect(ids((await feedOf(a)).body.items)).toEqual([ofB.id, ofA.id]);
      expect(ids((await feedOf(b)).body.items)).toEqual([ofB.id, ofA.id]);

      expectStatus(await client.put(`/api/v1/users/${b.id}/block`, { token: a.accessToken }), 204);
      expect(ids((await feedOf(a)).body.items)).toEqual([ofA.id]);
      expect(ids((await feedOf(b)).body.items)).toEqual([ofB.id]);
    });

    it('block answers 400 cannot-block-yourself, 404 for no account, 401 anonymous; the list answers 401 anonymous', async () => {
      const client = api();
      const me = await signUp(client);
      expectProblem(
        await client.put(`/api/v1/users/${me.id}/block`, { token: me.accessToken }),
        400,
        'userId',
        'cannot-block-yourself',
      );
      expectProblem(await client.put(`/api/v1/users/${unknownId()}/block`, { token: me.accessToken }), 404);
      expectProblem(
        await client.delete(`/api/v1/users/${unknownId()}/block`, { token: me.accessToken }),
        404,
      );
      expectProblem(await client.put(`/api/v1/users/${me.id}/block`), 401);
      expectProblem(await client.get('/api/v1/users/me/blocks'), 401);
    });

    it('switching back to public accepts every pending request', async () => {
      const client = api();
      const [owner, first, second] = [
        await signUp(client, 'private'),
        await signUp(client),
        await signUp(client),
      ];
      expectStatus(
        await client.patch('/api/v1/users/me', { token: owner.accessToken, json: { isPrivate: true } }),
        200,
      );
      for (const asker of [first, second]) {
        expectStatus(await client.put(`/api/v1/users/${owner.id}/follow`, { token: asker.accessToken }), 202);
      }
      expectStatus(
        await client.patch('/api/v1/users/me', { token: owner.accessToken, json: { isPrivate: false } }),
        200,
      );
      // The pending requests are accepted by a process that reacts to the switch: poll until it has.
      await eventually(async () => {
        const followers = await client.get<Page<UserSummary>>(`/api/v1/users/${owner.id}/followers`, {
          consistency: false,
        });
        expect(ids(followers.body.items).sort()).toEqual([first.id, second.id].sort());
      }, 30_000);
      const profile = await client.get<Profile>(`/api/v1/users/${owner.id}`, { token: first.accessToken });
      expect(profile.body).toMatchObject({ followersCount: 2, followedByMe: true, requestedByMe: false });
      const requests = await client.get<Page<FollowRequestItem>>('/api/v1/users/me/follow-requests', {
        token: owner.accessToken,
      });
      expect(requests.body.items).toEqual([]);
    });
  });
}
