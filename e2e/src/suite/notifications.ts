import { describe, expect, it } from 'vitest';
import { ApiClient, type Comment, type Page, type UserSummary } from '../api/client.js';
import { createPost, eventually, expectProblem, expectStatus, signUp, type User } from '../api/fixtures.js';
import type { SystemRef } from './system.js';

interface Notification {
  id: string;
  type: 'like' | 'comment' | 'reply' | 'mention' | 'follow' | 'follow_request' | 'follow_accepted';
  actors: UserSummary[];
  actorCount: number;
  post?: { id: string; photo: string };
  comment?: { id: string; text: string };
  createdAt: string;
  updatedAt: string;
  read: boolean;
}

/**
 * Notifications are kept by a consumer of the topics of their own, which no consistency token of a write covers:
 * each read polls until what the write causes is there (or, for what must not appear, until a later write of the
 * same recipient is there, so the absence is not just lateness).
 */
export function notificationsSuite(system: SystemRef): void {
  describe('notifications', () => {
    const api = () => new ApiClient(system().url);

    async function notificationsOf(client: ApiClient, user: User): Promise<Notification[]> {
      const res = await client.get<Page<Notification>>('/api/v1/notifications', {
        token: user.accessToken,
        consistency: false,
      });
      expectStatus(res, 200);
      return res.body.items;
    }
    async function unreadOf(client: ApiClient, user: User): Promise<number> {
      const res = await client.get<{ count: number }>('/api/v1/notifications/unread-count', {
        token: user.accessToken,
        consistency: false,
      });
      expectStatus(res, 200);
      return res.body.count;
    }
    const actorIds = (n: Notification | undefined) => n?.actors.map((actor) => actor.id);
    const like = async (client: ApiClient, user: User, postId: string) =>
      expectStatus(await client.put(`/api/v1/posts/${postId}/like`, { token: user.accessToken }), 204);

    it('groups the likes of a post, newest actor first, moves the group up and makes it unread on a new like, and an unlike takes its actor back', async () => {
      const client = api();
      const [author, b, c, d] = [
        await signUp(client, 'author'),
        await signUp(client),
        await signUp(client),
        await signUp(client),
      ];
      const post = await createPost(client, author, 'liked a lot');
      await like(client, author, post.id);
      await like(client, b, post.id);
      await like(client, c, post.id);
      const [grouped] = await eventually(async () => {
        const items = await notificationsOf(client, author);
        expect(items).toHaveLength(1);
        expect(items[0]).toMatchObject({ type: 'like', actorCount: 2, read: false, post: { id: post.id } });
        return items;
      }, 30_000);
      // Nobody is notified of their own like.
      expect(actorIds(grouped)).toEqual([c.id, b.id]);
      expect(await unreadOf(client, author)).toBe(1);

      expectStatus(
        await client.post('/api/v1/notifications/read', { token: author.accessToken, json: {} }),
        204,
      );
      expect(await unreadOf(client, author)).toBe(0);
      await like(client, d, post.id);
      await eventually(async () => {
        const [again] = await notificationsOf(client, author);
        expect(actorIds(again)).toEqual([d.id, c.id, b.id]);
        expect(again).toMatchObject({ id: grouped?.id, actorCount: 3, read: false });
        expect((again?.updatedAt ?? '') > (grouped?.updatedAt ?? '')).toBe(true);
      }, 30_000);
      expect(await unreadOf(client, author)).toBe(1);

      expectStatus(await client.delete(`/api/v1/posts/${post.id}/like`, { token: c.accessToken }), 204);
      await eventually(async () => {
        const [after] = await notificationsOf(client, author);
        expect(actorIds(after)).toEqual([d.id, b.id]);
        expect(after?.actorCount).toBe(2);
      }, 30_000);
    });

    it("tells a post's author of a comment and both authors of a reply, and a deleted comment takes its notification away", async () => {
      const client = api();
      const [author, commenter, replier] = [
        await signUp(client, 'author'),
        await signUp(client),
        await signUp(client),
      ];
      const post = await createPost(client, author, 'talk to me');
      const said = await client.post<Comment>(`/api/v1/posts/${post.id}/comments`, {
        token: commenter.accessToken,
        json: { text: 'a comment' },
      });
      expectStatus(said, 201);
      const answered = await client.post<{ id: string }>(`/api/v1/comments/${said.body.id}/replies`, {
        token: replier.accessToken,
        json: { text: 'a reply' },
      });
      expectStatus(answered, 201);

      await eventually(async () => {
        const items = await notificationsOf(client, author);
        expect(items.map((n) => n.type)).toEqual(['reply', 'comment']);
        expect(items[1]).toMatchObject({
          comment: { id: said.body.id, text: 'a comment' },
          post: { id: post.id },
        });
        expect(actorIds(items[1])).toEqual([commenter.id]);
        expect(items[0]).toMatchObject({ comment: { id: answered.body.id, text: 'a reply' } });
      }, 30_000);
      await eventually(async () => {
        const items = await notificationsOf(client, commenter);
        expect(items.map((n) => n.type)).toEqual(['reply']);
        expect(actorIds(items[0])).toEqual([replier.id]);
      }, 30_000);

      expectStatus(
        await client.delete(`/api/v1/comments/${said.body.id}`, { token: author.accessToken }),
        204,
      );
      await eventually(async () => {
        const items = await notificationsOf(client, author);
        expect(items.map((n) => n.type)).not.toContain('comment');
      }, 30_000);
    });

    it('tells a mentioned account, and groups follows while they are unread', async () => {
      const client = api();
      const [me, b, c] = [await signUp(client, 'famous'), await signUp(client), await signUp(client)];
      const post = await createPost(client, b, `look at this, @${me.userName}!`);
      for (const follower of [b, c]) {
        expectStatus(await client.put(`/api/v1/users/${me.id}/follow`, { token: follower.accessToken }), 204);
      }
      await eventually(async () => {
        const items = await notificationsOf(client, me);
        const follow = items.find((n) => n.type === 'follow');
        expect(actorIds(follow)).toEqual([c.id, b.id]);
        expect(follow?.actorCount).toBe(2);
        const mention = items.find((n) => n.type === 'mention');
        expect(mention).toMatchObject({ post: { id: post.id } });
        expect(actorIds(mention)).toEqual([b.id]);
      }, 30_000);
    });

    it('follow requests: the private account is told, the notification goes when it is answered, and the requester is told it was accepted', async () => {
      const client = api();
      const [owner, asker] = [await signUp(client, 'private'), await signUp(client)];
      expectStatus(
        await client.patch('/api/v1/users/me', { token: owner.accessToken, json: { isPrivate: true } }),
        200,
      );
      expectStatus(await client.put(`/api/v1/users/${owner.id}/follow`, { token: asker.accessToken }), 202);
      await eventually(async () => {
        const items = await notificationsOf(client, owner);
        expect(items.map((n) => n.type)).toEqual(['follow_request']);
        expect(actorIds(items[0])).toEqual([asker.id]);
      }, 30_000);
      expectStatus(
        await client.put(`/api/v1/users/me/follow-requests/${asker.id}`, { token: owner.accessToken }),
        204,
      );
      await eventually(async () => {
        const items = await notificationsOf(client, owner);
        expect(items.map((n) => n.type)).toEqual(['follow']);
        const theirs = await notificationsOf(client, asker);
        expect(theirs.map((n) => n.type)).toEqual(['follow_accepted']);
        expect(actorIds(theirs[0])).toEqual([owner.id]);
      }, 30_000);
    });

    it('nobody is notified by an account they muted or that is in a block with them', async () => {
      const client = api();
      const [author, muted, blocked, witness] = [
        await signUp(client, 'author'),
        await signUp(client),
        await signUp(client),
        await signUp(client),
      ];
      const post = await createPost(client, author, 'quiet please');
      expectStatus(await client.put(`/api/v1/users/${muted.id}/mute`, { token: author.accessToken }), 204);
      await like(client, muted, post.id);
      await like(client, blocked, post.id);
      expectStatus(await client.put(`/api/v1/users/${blocked.id}/block`, { token: author.accessToken }), 204);
      // A like of the witness after theirs: once it is there, theirs would be too.
      await like(client, witness, post.id);
      await eventually(async () => {
        const [likes] = await notificationsOf(client, author);
        expect(actorIds(likes)).toEqual([witness.id]);
      }, 30_000);
    });

    it('answers 401 without a token and 400 for a notification that is not mine', async () => {
      const client = api();
      const me = await signUp(client);
      expectProblem(await client.get('/api/v1/notifications'), 401);
      expectProblem(await client.get('/api/v1/notifications/unread-count'), 401);
      expectProblem(await client.post('/api/v1/notifications/read', { json: {} }), 401);
      expectProblem(
        await client.post('/api/v1/notifications/read', {
          token: me.accessToken,
          json: { upTo: '01900000-0000-7000-8000-000000000001' },
        }),
        400,
      );
    });
  });
}
