import { createTestTokenIssuer } from '@gram/service-kit/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { History } from '../test/history.js';
import { buildNotificationsApp } from './app.js';
import { InProcessNotificationChanges } from './changes.js';
import { NotificationProjector } from './read-model/projector.js';
import { NotificationQueries } from './read-model/queries.js';
import { memoryNotificationStore } from './store/memory.js';
import { memoryStreamTickets } from './stream/tickets.js';

describe('the notifications routes', () => {
  const h = new History();
  const [ann, bob, cat] = ['ann', 'bob', 'cat'].map((name) => h.register(name)) as [string, string, string];
  h.like(h.post(ann), ann, bob);
  h.follow(cat, ann);
  let app: ReturnType<typeof buildNotificationsApp>;
  let token: (userId: string) => Promise<string>;

  beforeAll(async () => {
    const store = memoryNotificationStore();
    const projector = new NotificationProjector(store);
    for (const event of h.events) await projector.apply(event);
    const issuer = await createTestTokenIssuer();
    app = buildNotificationsApp({
      queries: new NotificationQueries(store),
      verifier: issuer.verifier,
      stream: { feed: new InProcessNotificationChanges(), tickets: memoryStreamTickets() },
    });
    token = (userId) => issuer.mint(userId);
  });

  const get = async (url: string, userId?: string) =>
    app.inject({
      method: 'GET',
      url,
      headers: userId ? { authorization: `Bearer ${await token(userId)}` } : {},
    });
  const read = async (userId: string, body?: object) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/notifications/read',
      headers: { authorization: `Bearer ${await token(userId)}` },
      ...(body ? { payload: body } : {}),
    });

  it('lists the caller’s notifications, most recently updated first', async () => {
    const res = await get('/api/v1/notifications?limit=1', ann);
    expect(res.statusCode).toBe(200);
    const page = res.json();
    expect(page.items.map((n: { type: string }) => n.type)).toEqual(['follow']);
    const next = await get(`/api/v1/notifications?limit=1&cursor=${page.nextCursor}`, ann);
    expect(next.json().items.map((n: { type: string }) => n.type)).toEqual(['like']);
  });

  it('answers the unread count, and 204 to read up to a notification or all', async () => {
    expect((await get('/api/v1/notifications/unread-count', ann)).json()).toEqual({ count: 2 });
    const [, like] = (await get('/api/v1/notifications', ann)).json().items;
    expect((await read(ann, { upTo: like.id })).statusCode).toBe(204);
    expect((await get('/api/v1/notifications/unread-count', ann)).json()).toEqual({ count: 1 });
    const all = await read(ann);
    expect(all.statusCode, all.body).toBe(204);
    expect((await get('/api/v1/notifications/unread-count', ann)).json()).toEqual({ count: 0 });
  });

  it('answers 400 to read up to a malformed id, or one not of the caller’s notifications', async () => {
    const [like] = (await get('/api/v1/notifications', ann)).json().items;
    for (const upTo of ['nope', like.id]) {
      const res = await read(bob, { upTo });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'validation' });
    }
    expect((await get('/api/v1/notifications?cursor=zzz', ann)).statusCode).toBe(400);
  });

  it('answers 401 without a token', async () => {
    for (const url of ['/api/v1/notifications', '/api/v1/notifications/unread-count']) {
      expect((await get(url)).statusCode).toBe(401);
    }
    const res = await app.inject({ method: 'POST', url: '/api/v1/notifications/read' });
    expect(res.statusCode).toBe(401);
  });
});
