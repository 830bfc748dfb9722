import { describe, expect, it } from 'vitest';
// The SSE reader of the service's own stream tests: one reader of the wire format for both.
import { openSse } from '../../../services/notifications/test/sse-client.js';
import { ApiClient } from '../api/client.js';
import { createPost, eventually, expectProblem, expectStatus, signUp } from '../api/fixtures.js';
import type { SystemRef } from './system.js';

export function notificationsStreamSuite(system: SystemRef): void {
  describe('notifications: the live stream', () => {
    const api = () => new ApiClient(system().url);
    const stream = () => `${system().url}/api/v1/notifications/stream`;

    it('streams a like to the post’s author through the gateway, opened with a single-use ticket', async () => {
      const client = api();
      const [author, liker] = [await signUp(client), await signUp(client)];
      const post = await createPost(client, author);
      const issued = await client.post<{ ticket: string; expiresAt: string }>(
        '/api/v1/notifications/stream-tickets',
        { token: author.accessToken },
      );
      expectStatus(issued, 201);
      const sse = await openSse(`${stream()}?ticket=${issued.body.ticket}`);
      expect(sse.response.status).toBe(200);
      expect(sse.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(JSON.parse((await sse.next('unread-count')).data)).toEqual({ count: 0 });
      expectStatus(await client.put(`/api/v1/posts/${post.id}/like`, { token: liker.accessToken }), 204);
      const liked = await sse.next('notification');
      expect(JSON.parse(liked.data)).toMatchObject({
        type: 'like',
        actors: [liker.summary],
        post: { id: post.id },
        read: false,
      });
      expect(JSON.parse((await sse.next('unread-count')).data)).toEqual({ count: 1 });
      sse.close();
      // used once
      expectProblem(await client.get(`/api/v1/notifications/stream?ticket=${issued.body.ticket}`), 401);
    });

    it('resumes after Last-Event-ID with what was missed, bearer token', async () => {
      const client = api();
      const [author, liker] = [await signUp(client), await signUp(client)];
      const [first, second] = [await createPost(client, author), await createPost(client, author)];
      const headers = { authorization: `Bearer ${author.accessToken}` };
      const sse = await openSse(stream(), headers);
      await sse.next('unread-count');
      expectStatus(await client.put(`/api/v1/posts/${first.id}/like`, { token: liker.accessToken }), 204);
      const seen = await sse.next('notification');
      sse.close();
      expectStatus(await client.put(`/api/v1/posts/${second.id}/like`, { token: liker.accessToken }), 204);
      // the like is in the notifications before the stream is resumed
      await eventually(async () => {
        const list = await client.get<{ items: { post?: { id: string } }[] }>('/api/v1/notifications', {
          token: author.accessToken,
        });
        expect(list.body.items.map((n) => n.post?.id)).toContain(second.id);
      });
      const resumed = await openSse(stream(), { ...headers, 'last-event-id': seen.id ?? '' });
      expect(JSON.parse((await resumed.next()).data)).toMatchObject({ post: { id: second.id } });
      resumed.close();
    });

    it('answers 401 without a token or ticket', async () => {
      expectProblem(await api().get('/api/v1/notifications/stream'), 401);
      expectProblem(await api().post('/api/v1/notifications/stream-tickets'), 401);
    });
  });
}
