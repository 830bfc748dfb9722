import { connect } from 'node:net';
import { setImmediate as turn } from 'node:timers/promises';
import { createTestTokenIssuer } from '@gram/service-kit/testing';
import { injectServer } from '@gram/test-servers/inject';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { History } from '../../test/history.js';
import { openSse } from '../../test/sse-client.js';
import { buildNotificationsApp } from '../app.js';
import { InProcessNotificationChanges, type NotificationChanges } from '../changes.js';
import { NotificationProjector } from '../read-model/projector.js';
import { NotificationQueries } from '../read-model/queries.js';
import { memoryNotificationStore } from '../store/memory.js';
import type { NotificationStore } from '../store/port.js';
import type { ChangeFeed } from './feed.js';
import { RedisNotificationChanges } from './redis-changes.js';
import type { NotificationStreamOptions } from './routes.js';
import { memoryStreamTickets, redisStreamTickets } from './tickets.js';

type Issuer = Awaited<ReturnType<typeof createTestTokenIssuer>>;

/** One instance of the service over real HTTP, fed by `history` through a projector telling `changes`. */
async function instance(options: {
  store: NotificationStore;
  changes: NotificationChanges;
  stream: NotificationStreamOptions;
  issuer: Issuer;
}) {
  const queries = new NotificationQueries(options.store, options.changes);
  const app = buildNotificationsApp({ queries, verifier: options.issuer.verifier, stream: options.stream });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: (path: string) => `${address}${path}` };
}

/** Applies the events `history` gained since the last call. */
function applier(history: History, projector: NotificationProjector) {
  let applied = 0;
  return async () => {
    for (const event of history.events.slice(applied)) await projector.apply(event);
    applied = history.events.length;
  };
}

describe('the notification stream (one instance, in-process changes)', () => {
  const h = new History();
  const [ann, bob, cat] = ['ann', 'bob', 'cat'].map((name) => h.register(name)) as [string, string, string];
  const store = memoryNotificationStore();
  const changes = new InProcessNotificationChanges();
  const projector = new NotificationProjector(store, changes);
  const apply = applier(h, projector);
  let now = Date.now();
  let open = 0;
  // The in-process changes, counting the streams that listen: a dropped stream stops listening.
  const feed: ChangeFeed = {
    subscribe(accountId, listener) {
      open++;
      const unsubscribe = changes.subscribe(accountId, listener);
      return () => {
        open--;
        unsubscribe();
      };
    },
  };
  let issuer: Issuer;
  let server: Awaited<ReturnType<typeof instance>>;
  const bearer = async (userId: string, expiresIn?: string) => ({
    authorization: `Bearer ${await issuer.mint(userId, expiresIn ? { expiresIn } : {})}`,
  });
  const ticketFor = async (userId: string) => {
    const res = await fetch(server.url('/api/v1/notifications/stream-tickets'), {
      method: 'POST',
      headers: await bearer(userId),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { ticket: string; expiresAt: string };
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());
    return body.ticket;
  };
  const stream = '/api/v1/notifications/stream';

  beforeAll(async () => {
    issuer = await createTestTokenIssuer();
    await apply();
    server = await instance({
      store,
      changes,
      issuer,
      stream: {
        feed,
        tickets: memoryStreamTickets(() => now),
        keepaliveMs: 50,
        maxBufferedBytes: 64 * 1024,
      },
    });
  });
  afterAll(() => server.app.close());

  it('streams a like to the post’s author as `event: notification` then `event: unread-count`, bearer token', async () => {
    const client = await openSse(server.url(stream), await bearer(ann));
    expect(client.response.status).toBe(200);
    expect(client.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(JSON.parse((await client.next('unread-count')).data)).toEqual({ count: 0 });
    const post = h.post(ann);
    h.like(post, ann, bob);
    await apply();
    const notification = await client.next();
    expect(notification.event).toBe('notification');
    const data = JSON.parse(notification.data);
    expect(data).toMatchObject({ type: 'like', actorCount: 1, post: { id: post }, read: false });
    expect(data.actors.map((a: { id: string }) => a.id)).toEqual([bob]);
    expect(notification.id).toBe(`${data.updatedAt}/${data.id}`);
    expect(JSON.parse((await client.next()).data)).toEqual({ count: 1 });
    client.close();
  });

  it('sends a `: keepalive` comment while nothing happens', async () => {
    const client = await openSse(server.url(stream), await bearer(ann));
    await client.comment('keepalive');
    client.close();
  });

  it('sends nothing about a muted account’s act', async () => {
    const client = await openSse(server.url(stream), await bearer(ann));
    await client.next('unread-count');
    h.mute(ann, cat);
    h.like(h.post(ann), ann, cat);
    const second = h.post(ann);
    h.like(second, ann, bob);
    await apply();
    const notification = JSON.parse((await client.next('notification')).data);
    expect(notification.post.id).toBe(second);
    expect(client.events.filter((e) => e.event === 'notification')).toHaveLength(1);
    h.mute(ann, cat, false);
    await apply();
    client.close();
  });

  it('leaves out of what it sends, from the block on, an actor who blocked the account', async () => {
    const client = await openSse(server.url(stream), await bearer(ann));
    await client.next('unread-count');
    const post = h.post(ann);
    h.like(post, ann, cat);
    await apply();
    const before = JSON.parse((await client.next('notification')).data);
    expect(before.actors.map((actor: { id: string }) => actor.id)).toEqual([cat]);
    h.block(cat, ann);
    h.like(post, ann, bob);
    await apply();
    const after = JSON.parse((await client.next('notification')).data);
    expect(after.id).toBe(before.id);
    expect(after.actors.map((actor: { id: string }) => actor.id)).toEqual([bob]);
    h.block(cat, ann, false);
    await apply();
    client.close();
  });

  it('opens with a single-use ticket, and answers 401 to a used, unknown or expired one, or none', async () => {
    const ticket = await ticketFor(ann);
    const client = await openSse(server.url(`${stream}?ticket=${ticket}`));
    expect(client.response.status).toBe(200);
    await client.next('unread-count');
    client.close();
    const used = await fetch(server.url(`${stream}?ticket=${ticket}`));
    expect(used.status).toBe(401);
    expect(await used.json()).toMatchObject({ status: 401 });
    expect((await fetch(server.url(`${stream}?ticket=nope`))).status).toBe(401);
    expect((await fetch(server.url(stream))).status).toBe(401);
    const late = await ticketFor(ann);
    now += 60_001;
    expect((await fetch(server.url(`${stream}?ticket=${late}`))).status).toBe(401);
    const unauthenticated = await fetch(server.url('/api/v1/notifications/stream-tickets'), {
      method: 'POST',
    });
    expect(unauthenticated.status).toBe(401);
  });

  it('resumes after `Last-Event-ID` with what was missed first, in order, and 400 to an id it never sent', async () => {
    const client = await openSse(server.url(stream), await bearer(bob));
    await client.next('unread-count');
    h.follow(ann, bob);
    await apply();
    const seen = await client.next('notification');
    client.close();
    await client.ended;
    const [first, second] = [h.post(bob), h.post(bob)];
    h.like(first, bob, ann);
    h.like(second, bob, cat);
    await apply();
    const resumed = await openSse(server.url(stream), {
      ...(await bearer(bob)),
      'last-event-id': seen.id ?? '',
    });
    const missed = [await resumed.next(), await resumed.next()].map((e) => JSON.parse(e.data));
    expect(missed.map((n) => n.post.id)).toEqual([first, second]);
    expect((await resumed.next()).event).toBe('unread-count');
    resumed.close();
    const bad = await fetch(server.url(stream), {
      headers: { ...(await bearer(bob)), 'last-event-id': 'zzz' },
    });
    expect(bad.status).toBe(400);
  });

  it('ends the stream when the access token expires', async () => {
    const client = await openSse(server.url(stream), await bearer(ann, '1s'));
    expect(client.response.status).toBe(200);
    await client.ended;
  });

  it('ends the stream when the account is deleted', async () => {
    const dan = h.register('dan');
    await apply();
    const client = await openSse(server.url(stream), await bearer(dan));
    await client.next('unread-count');
    h.deleteUser(dan);
    await apply();
    await client.ended;
  });

  it('keeps its unread count what unread-count answers while notifications show or hide without changing', async () => {
    const [dan, eve, fay] = ['dan', 'eve', 'fay'].map((name) => h.register(name)) as [string, string, string];
    await apply();
    const queries = new NotificationQueries(store);
    const client = await openSse(server.url(stream), await bearer(dan));
    /** The count reaches `expected` on the stream (counts on the way may pass by), which unread-count answers too. */
    const settlesAt = async (expected: number) => {
      expect(await queries.unreadCount(dan)).toBe(expected);
      while (JSON.parse((await client.next('unread-count')).data).count !== expected);
    };
    await settlesAt(0);
    h.post(eve, [dan]);
    await apply();
    await settlesAt(1);
    // eve's post, where dan is mentioned, becomes one dan may not read
    h.goPrivate(eve);
    await apply();
    await settlesAt(0);
    // dan may read it again, and is told eve accepted
    h.requestFollow(dan, eve);
    h.acceptRequest(eve, dan);
    await apply();
    await settlesAt(2);
    // a like applied before its post: stored, shown once the post is known
    const post = h.post(dan);
    h.like(post, dan, fay);
    const [created, liked] = h.events.slice(-2) as [(typeof h.events)[number], (typeof h.events)[number]];
    await projector.apply(liked);
    expect(await queries.unreadCount(dan)).toBe(2);
    await projector.apply(created);
    await settlesAt(3);
    await apply();
    // a like applied before its actor's registration: stored, shown once the actor is known
    const later = h.post(dan);
    await apply();
    const gus = h.register('gus');
    const registered = h.events.at(-1) as (typeof h.events)[number];
    h.like(later, dan, gus);
    await projector.apply(h.events.at(-1) as (typeof h.events)[number]);
    expect(await queries.unreadCount(dan)).toBe(3);
    await projector.apply(registered);
    await settlesAt(4);
    await apply();
    client.close();
  });

  it('drops a client that does not read, and the others go on', async () => {
    const reader = await openSse(server.url(stream), await bearer(ann));
    await reader.next('unread-count');
    const before = open;
    // A client that sends its request and reads nothing.
    const socket = connect(new URL(server.url('/')).port as unknown as number, '127.0.0.1');
    socket.pause();
    socket.write(
      `GET ${stream} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: ${(await bearer(ann)).authorization}\r\n\r\n`,
    );
    while (open === before) await turn();
    const post = h.post(ann);
    h.like(post, ann, bob);
    await apply();
    const [liked] = await store.notifications.find('postId', post);
    // Changes of one notification, sent over and over, until the silent client's buffer is over its bound.
    for (let i = 0; open > before && i < 200_000; i++) {
      changes.publish(ann, { type: 'notification', notificationId: liked?._id ?? '' });
      await turn();
    }
    expect(open).toBe(before);
    socket.destroy();
    // the reader still gets what happens next
    const later = h.post(ann);
    h.like(later, ann, cat);
    await apply();
    for (;;) {
      const event = await reader.next('notification');
      if (JSON.parse(event.data).post.id === later) break;
    }
    reader.close();
  });
});

it('ends its open streams when the server closes, instead of waiting for them', async () => {
  const issuer = await createTestTokenIssuer();
  const changes = new InProcessNotificationChanges();
  const server = await instance({
    store: memoryNotificationStore(),
    changes,
    issuer,
    stream: { feed: changes, tickets: memoryStreamTickets() },
  });
  const client = await openSse(server.url('/api/v1/notifications/stream'), {
    authorization: `Bearer ${await issuer.mint('0190a4b4-0000-7000-8000-000000000001')}`,
  });
  await client.next('unread-count');
  await server.app.close();
  await client.ended;
});

const redisUrl = injectServer('redisUrl');

describe.skipIf(redisUrl === undefined)('the notification stream across instances (Redis)', () => {
  const h = new History();
  const [ann, bob] = ['ann', 'bob'].map((name) => h.register(name)) as [string, string];
  // One store for both, as MongoDB is in the distributed mode.
  const store = memoryNotificationStore();
  const connections: Redis[] = [];
  const redis = (options: RedisOptions = {}) => {
    const connection = new Redis(redisUrl as string, options);
    connections.push(connection);
    return connection;
  };
  let issuer: Issuer;
  let one: Awaited<ReturnType<typeof instance>>;
  let other: Awaited<ReturnType<typeof instance>>;
  let applyOnOther: () => Promise<void>;
  const prefix = `test-${Date.now()}:`;

  beforeAll(async () => {
    issuer = await createTestTokenIssuer();
    const started = [];
    for (let i = 0; i < 2; i++) {
      const changes = new RedisNotificationChanges(
        redis(),
        redis({ enableReadyCheck: false }),
        `${prefix}changes:`,
      );
      const stream = { feed: changes, tickets: redisStreamTickets(redis(), `${prefix}ticket:`) };
      started.push({ changes, server: await instance({ store, changes, issuer, stream }) });
    }
    [one, other] = started.map((s) => s.server) as [typeof one, typeof other];
    // The other instance's consumer applies the events: its changes go out through Redis.
    applyOnOther = applier(h, new NotificationProjector(store, started[1]?.changes));
    await applyOnOther();
  });
  afterAll(async () => {
    await one?.app.close();
    await other?.app.close();
    await Promise.all(connections.map((c) => c.quit()));
  });

  it('streams to a client of one instance a like applied by another', async () => {
    const client = await openSse(one.url('/api/v1/notifications/stream'), {
      authorization: `Bearer ${await issuer.mint(ann)}`,
    });
    await client.next('unread-count');
    const post = h.post(ann);
    h.like(post, ann, bob);
    await applyOnOther();
    expect(JSON.parse((await client.next('notification')).data)).toMatchObject({ post: { id: post } });
    expect(JSON.parse((await client.next('unread-count')).data)).toEqual({ count: 1 });
    client.close();
  });

  it('redeems a ticket issued by one instance at another, once', async () => {
    const res = await fetch(one.url('/api/v1/notifications/stream-tickets'), {
      method: 'POST',
      headers: { authorization: `Bearer ${await issuer.mint(ann)}` },
    });
    const { ticket } = (await res.json()) as { ticket: string };
    const client = await openSse(other.url(`/api/v1/notifications/stream?ticket=${ticket}`));
    expect(client.response.status).toBe(200);
    client.close();
    expect((await fetch(one.url(`/api/v1/notifications/stream?ticket=${ticket}`))).status).toBe(401);
  });
});
