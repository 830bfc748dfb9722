import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { embeddedGateway, newUser } from '../test/embedded-gateway.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function gateway(options: Parameters<typeof embeddedGateway>[0] = {}) {
  const built = await embeddedGateway(options);
  closers.push(built.close);
  return built.app;
}

const bearer = (user: { token: string }) => ({ authorization: `Bearer ${user.token}` });

describe('the embedded gateway’s edge', () => {
  it('answers PATCH /posts/:postId with the read side’s post, counters included, and the write’s headers', async () => {
    const app = await gateway();
    const [alice, bob] = [await newUser(app), await newUser(app)];
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/posts',
      headers: bearer(alice),
      payload: { photo: 'https://img.example.com/a.jpg', caption: 'first' },
    });
    const postId = created.json().id as string;
    const like = await app.inject({
      method: 'PUT',
      url: `/api/v1/posts/${postId}/like`,
      headers: bearer(bob),
    });
    expect(like.statusCode).toBe(204);

    const edited = await app.inject({
      method: 'PATCH',
      url: `/api/v1/posts/${postId}`,
      headers: bearer(alice),
      payload: { caption: '  second  ' },
    });
    expect(edited.statusCode).toBe(200);
    expect(edited.json()).toMatchObject({ id: postId, caption: 'second', likesCount: 1, likedByMe: false });
    expect(edited.headers['x-consistency-token']).toMatch(/^p[0-9a-z]+$/);
    expect(edited.headers['x-global-position']).toBeDefined();
    expect(edited.headers['x-read-consistency']).toBe('applied');
    expect(Number(edited.headers['content-length'])).toBe(Buffer.byteLength(edited.body));
  });

  it('answers PATCH /users/me with the read side’s profile, counters included', async () => {
    const app = await gateway();
    const [alice, bob] = [await newUser(app), await newUser(app)];
    await app.inject({ method: 'PUT', url: `/api/v1/users/${alice.id}/follow`, headers: bearer(bob) });
    await app.inject({
      method: 'POST',
      url: '/api/v1/posts',
      headers: bearer(alice),
      payload: { photo: 'https://img.example.com/a.jpg' },
    });
    const edited = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: bearer(alice),
      payload: { bio: 'hello' },
    });
    expect(edited.statusCode).toBe(200);
    expect(edited.json()).toMatchObject({ id: alice.id, bio: 'hello', followersCount: 1, postCount: 1 });
    expect(edited.headers['x-consistency-token']).toBeDefined();
  });

  it('leaves a refused edit as the command side answered it', async () => {
    const app = await gateway();
    const [alice, bob] = [await newUser(app), await newUser(app)];
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/posts',
      headers: bearer(alice),
      payload: { photo: 'https://img.example.com/a.jpg' },
    });
    const edited = await app.inject({
      method: 'PATCH',
      url: `/api/v1/posts/${created.json().id}`,
      headers: bearer(bob),
      payload: { caption: 'not mine' },
    });
    expect(edited.statusCode).toBe(403);
    expect(edited.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('serves request rate and latency by route in Prometheus text, beside the relay’s and the projections’ lag', async () => {
    const registry = new Registry();
    const app = await gateway({ registry });
    await newUser(app);
    await app.inject({ method: 'GET', url: '/api/v1/posts/0190f7a2-0000-7000-8000-000000000000' });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/posts\/:postId",status_code="404"\} 1/,
    );
    expect(res.body).toMatch(
      /http_request_duration_seconds_bucket\{le="[0-9.]+",method="POST",route="\/api\/v1\/auth\/signup",status_code="201"\}/,
    );
    expect(res.body).toContain('gram_projection_lag_seconds_bucket');
    expect(res.body).toContain('gram_relay_lag_seconds_bucket');
  });

  it('is ready while the event store answers, and says which dependency failed when not', async () => {
    const { app, store } = await embeddedGateway();
    const ready = await app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', dependencies: ['event-store'] });

    await store.close();
    const notReady = await app.inject({ method: 'GET', url: '/ready' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(notReady.json()).toMatchObject({
      status: 503,
      errors: [{ field: 'event-store', message: expect.any(String) }],
    });
    await app.close();
  });

  it('keeps a request id the client sent, makes one otherwise, and answers it', async () => {
    const app = await gateway();
    const sent = await app.inject({
      method: 'GET',
      url: '/api/v1/feed',
      headers: { 'x-request-id': 'abc-123' },
    });
    expect(sent.headers['x-request-id']).toBe('abc-123');
    const made = await app.inject({ method: 'GET', url: '/api/v1/feed' });
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
