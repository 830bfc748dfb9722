import { describe, expect, it } from 'vitest';
import { ApiClient, type Post, type Profile, type Tokens, type UserSummary } from '../api/client.js';
import { createPost, expectProblem, expectStatus, newAccount, signUp } from '../api/fixtures.js';
import { type SystemRef, writesPerUserPerMinute } from './system.js';

/** Every row of API.md: verb and path under /api/v1. */
export const apiRoutes = [
  'POST /auth/signup',
  'POST /auth/login',
  'POST /auth/refresh',
  'POST /auth/logout',
  'GET /users/me',
  'PATCH /users/me',
  'DELETE /users/me',
  'POST /users/me/exports',
  'GET /users/me/exports/:exportId',
  'GET /users/:userId',
  'GET /users/by-username/:userName',
  'GET /users/:userId/followers',
  'GET /users/:userId/following',
  'PUT /users/:userId/follow',
  'DELETE /users/:userId/follow',
  'PUT /users/:userId/mute',
  'DELETE /users/:userId/mute',
  'GET /users/me/mutes',
  'GET /users/me/blocks',
  'GET /users/me/follow-requests',
  'PUT /users/me/follow-requests/:userId',
  'DELETE /users/me/follow-requests/:userId',
  'DELETE /users/me/followers/:userId',
  'GET /users/:userId/posts',
  'POST /posts',
  'GET /posts/:postId',
  'PATCH /posts/:postId',
  'DELETE /posts/:postId',
  'PUT /posts/:postId/like',
  'DELETE /posts/:postId/like',
  'GET /posts/:postId/likes',
  'POST /posts/:postId/comments',
  'GET /posts/:postId/comments',
  'DELETE /comments/:commentId',
  'POST /comments/:commentId/replies',
  'GET /comments/:commentId/replies',
  'DELETE /replies/:replyId',
  'POST /media',
  'GET /media/:mediaId',
  'GET /feed',
  'GET /tags/:tag',
  'GET /tags/:tag/posts',
  'GET /explore',
  'GET /search/users',
  'GET /search/tags',
  'POST /notifications/stream-tickets',
  'GET /notifications/stream',
] as const;

const notificationsLagCount = /^gram_notifications_lag_seconds_count(?:\{[^}]*\})? (\S+)$/m;

export function operationsSuite(system: SystemRef): void {
  describe('operations: health, readiness, metrics, docs, request ids, read-your-writes', () => {
    const api = () => new ApiClient(system().url);

    it('/health answers 200 and /ready 200 once every dependency is reachable', async () => {
      const client = api();
      expectStatus(await client.get('/health'), 200);
      const ready = await client.get<{ status: string }>('/ready');
      expectStatus(ready, 200);
      expect(ready.body.status).toBe('ready');
    });

    it('/metrics serves Prometheus text with the request latency histogram by route, the relay lag, the projection lag and the notifications lag', async () => {
      const client = api();
      const user = await signUp(client);
      const post = await createPost(client, user);
      expectStatus(await client.get(`/api/v1/posts/${post.id}`), 200);
      const res = await fetch(`${system().url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await res.text();
      expect(text).toMatch(/^# TYPE http_request_duration_seconds histogram$/m);
      expect(text).toMatch(
        /^http_request_duration_seconds_bucket\{[^}]*route="\/api\/v1\/posts\/:postId"[^}]*\} [1-9]/m,
      );
      expect(text).toMatch(/^http_request_duration_seconds_count\{[^}]*method="POST"[^}]*\} [1-9]/m);
      expect(text).toMatch(/^# TYPE gram_projection_lag_seconds histogram$/m);
      expect(text).toMatch(/^gram_projection_lag_seconds_count(\{[^}]*\})? [1-9]/m);
      // In the distributed mode the relay is a process of its own: the gateway's /metrics carries its series too.
      expect(text).toMatch(/^# TYPE gram_relay_lag_seconds /m);
      expect(text).toMatch(/^# TYPE gram_notifications_lag_seconds histogram$/m);
      // The notifications consumer applies the signup and the post on its own time (no read waits for it). In the
      // distributed mode the gateway scrapes one instance of the group, which may not hold their partitions: the
      // count of every instance is tested there (distributed.e2e.test.ts).
      if (system().mode === 'embedded') {
        await expect
          .poll(
            async () =>
              (await (await fetch(`${system().url}/metrics`)).text()).match(notificationsLagCount)?.[1],
            // a wait for the consumer on a loaded machine, not a bound on its lag
            { timeout: 30_000 },
          )
          .toMatch(/^[1-9]/);
      }
    });

    it('/docs serves Swagger UI and /openapi.json is one OpenAPI 3.1 document with every route of API.md', async () => {
      const docs = await fetch(`${system().url}/docs`);
      expect(docs.status).toBe(200);
      expect(docs.headers.get('content-type')).toMatch(/text\/html/);
      expect(await docs.text()).toMatch(/swagger/i);

      const res = await api().get<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
        '/openapi.json',
      );
      expectStatus(res, 200);
      expect(res.body.openapi).toMatch(/^3\.1\./);
      const documented = Object.entries(res.body.paths).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
      );
      const missing = apiRoutes
        .map((route) => {
          const [method, path] = route.split(' ') as [string, string];
          return `${method} /api/v1${path.replace(/:(\w+)/g, '{$1}')}`;
        })
        .filter((route) => !documented.includes(route));
      expect(missing).toEqual([]);
      expect(documented.filter((route) => route.includes('/internal/'))).toEqual([]);
    });

    it('limits the writes of one user per minute with 429 and Retry-After; reads and other users go on', async () => {
      const client = api();
      const [busy, other] = [await signUp(client), await signUp(client)];
      const post = await createPost(client, other);
      const like = () => client.put(`/api/v1/posts/${post.id}/like`, { token: busy.accessToken });
      // Signup and login are not counted as writes: every one of these is.
      const statuses: number[] = [];
      for (let batch = 0; batch < writesPerUserPerMinute / 10; batch++) {
        statuses.push(...(await Promise.all(Array.from({ length: 10 }, like))).map((res) => res.status));
      }
      expect(statuses.filter((status) => status !== 204)).toEqual([]);
      const refused = await like();
      expectProblem(refused, 429);
      const wait = Number(refused.headers.get('retry-after'));
      expect(wait).toBeGreaterThanOrEqual(1);
      expect(wait).toBeLessThanOrEqual(60);
      expectStatus(await client.get(`/api/v1/posts/${post.id}`, { token: busy.accessToken }), 200);
      expectStatus(await client.put(`/api/v1/posts/${post.id}/like`, { token: other.accessToken }), 204);
    });

    it('echoes the x-request-id a client sends and gives one to a request that has none', async () => {
      const client = api();
      const echoed = await client.get('/api/v1/feed', { headers: { 'x-request-id': 'e2e-request-0001' } });
      expect(echoed.headers.get('x-request-id')).toBe('e2e-request-0001');
      const generated = await client.get('/health');
      expect(generated.headers.get('x-request-id')).toBeTruthy();
    });

    it('answers unknown paths and unknown methods with a problem, never a 5xx', async () => {
      const client = api();
      expectProblem(await client.get('/api/v1/no-such-thing'), 404);
      const res = await client.request('PATCH', '/api/v1/feed', { json: {} });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    });

    it('answers header fields over the size limit with a 431 problem carrying a code', async () => {
      const res = await api().get('/api/v1/feed', { headers: { 'x-padding': 'p'.repeat(20_000) } });
      expectProblem(res, 431, undefined, 'request-header-fields-too-large');
    });

    it('a read sending back the write consistency token waits until the write is applied', async () => {
      const client = api();
      const user = await signUp(client);
      const created = await client.post<Post>('/api/v1/posts', {
        token: user.accessToken,
        json: { photo: 'https://img.example.com/ryw.jpg', caption: 'read your writes' },
      });
      expectStatus(created, 201);
      const token = created.headers.get('x-consistency-token') as string;
      expect(token).toBeTruthy();
      // A token vouches for its own write only (the post and its like travel on different topics): the post's
      // token first, then the like's.
      const seen = await client.get<Post>(`/api/v1/posts/${created.body.id}`, {
        token: user.accessToken,
        headers: { 'x-consistency-token': token },
      });
      expectStatus(seen, 200);
      expect(seen.headers.get('x-read-consistency')).toBe('applied');
      const liked = await client.put(`/api/v1/posts/${created.body.id}/like`, { token: user.accessToken });
      const likeToken = liked.headers.get('x-consistency-token') as string;
      const read = await client.get<Post>(`/api/v1/posts/${created.body.id}`, {
        token: user.accessToken,
        headers: { 'x-consistency-token': likeToken },
      });
      expectStatus(read, 200);
      expect(read.headers.get('x-read-consistency')).toBe('applied');
      expect(read.body).toMatchObject({ likesCount: 1, likedByMe: true });

      expectProblem(
        await client.get(`/api/v1/posts/${created.body.id}`, {
          headers: { 'x-consistency-token': 'forged' },
        }),
        400,
        'x-consistency-token',
      );
    });

    it('the tokens of signup and login are honoured too: the read answers applied, without waiting its bound', async () => {
      const client = api();
      const account = newAccount();
      const signup = await client.post<{ user: UserSummary }>('/api/v1/auth/signup', { json: account });
      expectStatus(signup, 201);
      const signupToken = signup.headers.get('x-consistency-token');
      expect(signupToken).toBeTruthy();
      const profile = await client.get<Profile>(`/api/v1/users/${signup.body.user.id}`, {
        headers: { 'x-consistency-token': signupToken as string },
      });
      expectStatus(profile, 200);
      expect(profile.headers.get('x-read-consistency')).toBe('applied');

      // Logging in changes no read model; its token must not hold a read back.
      const login = await client.post<Tokens>('/api/v1/auth/login', {
        json: { login: account.userName, password: account.password },
      });
      expectStatus(login, 200);
      const loginToken = login.headers.get('x-consistency-token');
      if (loginToken !== null) {
        const me = await client.get<Profile>('/api/v1/users/me', {
          token: login.body.accessToken,
          headers: { 'x-consistency-token': loginToken },
        });
        expectStatus(me, 200);
        expect(me.headers.get('x-read-consistency')).toBe('applied');
      }
    });
  });
}
