import { describe, expect, it } from 'vitest';
import { ApiClient, type Page, type Post, type Profile, type UserSummary } from '../api/client.js';
import { createPost, expectProblem, expectStatus, ids, signUp, unknownId } from '../api/fixtures.js';
import type { SystemRef } from './system.js';

export function privacySuite(system: SystemRef): void {
  describe('privacy and safety: mutes', () => {
    const api = () => new ApiClient(system().url);

    it("a mute takes the muted account's posts out of my feed, shows only to me, and an unmute brings them back", async () => {
      const client = api();
      const [me, them] = [await signUp(client), await signUp(client)];
      const feed = () => client.get<Page<Post>>('/api/v1/feed', { token: me.accessToken });
      expectStatus(await client.put(`/api/v1/users/${them.id}/follow`, { token: me.accessToken }), 204);
      const first = await createPost(client, them, 'before the mute');
      expect(ids((await feed()).body.items)).toEqual([first.id]);

      expectStatus(await client.put(`/api/v1/users/${them.id}/mute`, { token: me.accessToken }), 204);
      expectStatus(await client.put(`/api/v1/users/${them.id}/mute`, { token: me.accessToken }), 204);
      expect(ids((await feed()).body.items)).toEqual([]);
      const second = await createPost(client, them, 'while muted');
      expect(ids((await feed()).body.items)).toEqual([]);

      const mutes = await client.get<Page<UserSummary>>('/api/v1/users/me/mutes', { token: me.accessToken });
      expectStatus(mutes, 200);
      expect(mutes.body).toEqual({ items: [them.summary], nextCursor: null });
      const mine = await client.get<Profile>(`/api/v1/users/${them.id}`, { token: me.accessToken });
      expect(mine.body).toMatchObject({ mutedByMe: true, followedByMe: true });
      // The muted account cannot tell: its views of itself and of me say nothing of the mute.
      const theirs = await client.get<Profile>(`/api/v1/users/${them.id}`, { token: them.accessToken });
      expect(theirs.body.mutedByMe).toBe(false);
      const meSeenByThem = await client.get<Profile>(`/api/v1/users/${me.id}`, { token: them.accessToken });
      expect(meSeenByThem.body.mutedByMe).toBe(false);
      expect((await client.get<Profile>(`/api/v1/users/${them.id}`)).body).not.toHaveProperty('mutedByMe');
      const theirMutes = await client.get<Page<UserSummary>>('/api/v1/users/me/mutes', {
        token: them.accessToken,
      });
      expect(theirMutes.body.items).toEqual([]);

      expectStatus(await client.delete(`/api/v1/users/${them.id}/mute`, { token: me.accessToken }), 204);
      expectStatus(await client.delete(`/api/v1/users/${them.id}/mute`, { token: me.accessToken }), 204);
      expect(ids((await feed()).body.items)).toEqual([second.id, first.id]);
      const after = await client.get<Profile>(`/api/v1/users/${them.id}`, { token: me.accessToken });
      expect(after.body.mutedByMe).toBe(false);
    });

    it('mute answers 400 cannot-mute-yourself, 404 for no account, 401 anonymous; the list answers 401 anonymous', async () => {
      const client = api();
      const me = await signUp(client);
      expectProblem(
        await client.put(`/api/v1/users/${me.id}/mute`, { token: me.accessToken }),
        400,
        'userId',
        'cannot-mute-yourself',
      );
      expectProblem(await client.put(`/api/v1/users/${unknownId()}/mute`, { token: me.accessToken }), 404);
      expectProblem(await client.delete(`/api/v1/users/${unknownId()}/mute`, { token: me.accessToken }), 404);
      expectProblem(await client.put(`/api/v1/users/${me.id}/mute`), 401);
      expectProblem(await client.get('/api/v1/users/me/mutes'), 401);
    });
  });
}
