import { describe, expect, it } from 'vitest';
import { ApiClient, type Page, type UserSummary } from '../api/client.js';
import { createPost, expectProblem, expectStatus, signUp } from '../api/fixtures.js';
import type { SystemRef } from './system.js';

type Found = UserSummary & { followedByMe?: boolean };

export function searchSuite(system: SystemRef): void {
  describe('search: users and tags', () => {
    const api = () => new ApiClient(system().url);

    it('finds an account by a word of its name, case and accents ignored, with followedByMe when authenticated', async () => {
      const client = api();
      const [me, them] = [await signUp(client), await signUp(client)];
      expectStatus(
        await client.patch('/api/v1/users/me', {
          token: them.accessToken,
          json: { name: `Zoë Ångström ${them.userName}` },
        }),
        200,
      );
      expectStatus(await client.put(`/api/v1/users/${them.id}/follow`, { token: me.accessToken }), 204);
      const found = await client.get<Page<Found>>(`/api/v1/search/users?q=${encodeURIComponent('ANGSTRÖ')}`, {
        token: me.accessToken,
      });
      expectStatus(found, 200);
      expect(found.body.items).toContainEqual({
        ...them.summary,
        name: `Zoë Ångström ${them.userName}`,
        followedByMe: true,
      });
      const anonymous = await client.get<Page<Found>>(`/api/v1/search/users?q=${them.userName}`);
      expect(anonymous.body.items[0]).toEqual({ ...them.summary, name: `Zoë Ångström ${them.userName}` });
    });

    it('answers 400 for a q missing, blank or over 30 characters', async () => {
      const client = api();
      for (const path of ['/search/users', '/search/tags']) {
        for (const query of ['', '?q=', '?q=%20%20', `?q=${'x'.repeat(31)}`]) {
          expectProblem(await client.get(`/api/v1${path}${query}`), 400);
        }
      }
    });

    it('finds a tag by its prefix with its post count, and an account no more once its deletion answered', async () => {
      const client = api();
      const them = await signUp(client);
      const tag = `t${them.userName.replace(/[^a-z0-9]/gi, '')}`.toLowerCase();
      await createPost(client, them, `a #${tag} photo`);
      const tags = await client.get<Page<{ name: string; postCount: number }>>(
        `/api/v1/search/tags?q=${encodeURIComponent(`#${tag.toUpperCase()}`)}`,
      );
      expect(tags.body).toEqual({ items: [{ name: tag, postCount: 1 }], nextCursor: null });
      expect(
        (await client.get<Page<Found>>(`/api/v1/search/users?q=${them.userName}`)).body.items,
      ).toHaveLength(1);

      expectStatus(await client.delete('/api/v1/users/me', { token: them.accessToken }), 204);
      // Without waiting for the read models to apply the deletion: it left search before it answered.
      const after = await client.get<Page<Found>>(`/api/v1/search/users?q=${them.userName}`, {
        consistency: false,
      });
      expect(after.body.items).toEqual([]);
      const tagsAfter = await client.get<Page<unknown>>(`/api/v1/search/tags?q=${tag}`, {
        consistency: false,
      });
      expect(tagsAfter.body.items).toEqual([]);
    });
  });
}
