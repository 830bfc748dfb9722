import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteEventStore, type SqliteEventStore } from '@gram/event-store';
import { streamIds, workerTopics } from '@gram/events';
import { ensureTopics, silentLogger } from '@gram/messaging';
import { Registry } from 'prom-client';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPost, follow, like, newAccount, signUp } from '../test/history.js';
import { type ReadMessage, readTopics, testBrokers, testKafka, topicEnds } from '../test/kafka.js';
import { RelayMetrics } from './metrics.js';
import { Relay, type RelayOptions } from './relay.js';
import { eventTopicSpecs, relayCoordinates } from './topics.js';

const brokers = testBrokers();

describe.skipIf(!brokers)('relay against real Kafka', () => {
  const kafka = testKafka(brokers ?? []);
  let dir: string;
  let store: SqliteEventStore;
  let name: string;
  const relays: Relay[] = [];

  const startRelay = async (options: Partial<RelayOptions> = {}) => {
    const relay = await Relay.start({
      store,
      kafka,
      name,
      logger: silentLogger,
      sessionTimeoutMs: 6_000,
      ...options,
    });
    relays.push(relay);
    return relay;
  };

  /** Messages of the streams this test wrote (other test files publish to the same topics meanwhile). */
  const readOwn = (streams: () => Set<string>, expected: number, quietMs = 500) =>
    readTopics(kafka, {
      topics: workerTopics,
      from: ends,
      done: (all) => all.filter((m) => streams().has(m.key)).length >= expected,
      quietMs,
    }).then((all) => all.filter((m) => streams().has(m.key)));

  let ends: Map<string, string[]>;

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, eventTopicSpecs());
    await admin.disconnect();
  });

  beforeEach(async () => {
    // Only this test's messages are read: other test files publish to the same topics.
    ends = await topicEnds(kafka, workerTopics);
    dir = mkdtempSync(join(tmpdir(), 'relay-int-'));
    store = openSqliteEventStore({ path: join(dir, 'events.sqlite') });
    name = `test-relay-${randomUUID().slice(0, 8)}`;
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes each public event to its topic and each internal one (UserMuted) to its internal topic, as CloudEvents keyed by their stream, and no private event', async () => {
    const author = newAccount(1);
    const fan = newAccount(2);
    await signUp(store, author);
    await signUp(store, fan);
    const postId = await createPost(store, author.userId);
    // A post stored years ago at v1 (imageUrl, no caption) is published upcast to v2.
    const oldPostId = randomUUID();
    await store.appendToStream(
      streamIds.post(oldPostId),
      [
        {
          type: 'PostCreated',
          data: {
            postId: oldPostId,
            authorId: author.userId,
            imageUrl: 'https://cdn.example.com/old.jpg',
            createdAt: '2020-01-01T00:00:00.000Z',
          },
          metadata: { schemaVersion: 1 },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    await like(store, postId, author.userId, fan.userId);
    await follow(store, fan.userId, author.userId);
    await store.appendToStream(
      streamIds.mute(fan.userId, author.userId),
      [
        {
          type: 'UserMuted',
          data: { muterId: fan.userId, mutedId: author.userId, mutedAt: '2026-01-01T00:00:00.000Z' },
          metadata: { schemaVersion: 1 },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    const streams = new Set([
      streamIds.mute(fan.userId, author.userId),
      streamIds.user(author.userId),
      streamIds.user(fan.userId),
      streamIds.post(postId),
      streamIds.post(oldPostId),
      streamIds.like(postId, fan.userId),
      streamIds.follow(fan.userId, author.userId),
    ]);

    await startRelay();
    const messages = await readOwn(() => streams, 7);

    // Who muted whom goes to the internal topic only: no public topic, which analytics read, carries it.
    expect(messages.map((m) => [m.topic, m.headers.ce_type]).sort()).toEqual(
      [
        ['internal.social.relations', 'UserMuted'],
        ['identity.users', 'UserRegistered'],
        ['identity.users', 'UserRegistered'],
        ['content.posts', 'PostCreated'],
        ['content.posts', 'PostCreated'],
        ['content.likes', 'PostLiked'],
        ['social.follows', 'UserFollowed'],
      ].sort(),
    );
    const stored = await store.readAll();
    for (const message of messages) {
      const event = stored.find((e) => e.id === message.headers.ce_id);
      expect(event, message.headers.ce_id).toBeDefined();
      expect(message.key).toBe(event?.streamId);
      expect(message.headers).toMatchObject({
        ce_specversion: '1.0',
        ce_type: event?.type,
        ce_time: event?.createdAt.toISOString(),
        'content-type': 'application/json',
        ce_streamid: event?.streamId,
        ce_streamrevision: String(event?.revision),
        ce_position: String(event?.position),
      });
    }
    const old = messages.find((m) => m.key === streamIds.post(oldPostId)) as ReadMessage;
    expect(old.headers.ce_eventversion).toBe('2');
    expect(JSON.parse(old.value)).toEqual({
      postId: oldPostId,
      authorId: author.userId,
      photo: 'https://cdn.example.com/old.jpg',
      caption: '',
      createdAt: '2020-01-01T00:00:00.000Z',
    });
    expect(messages.find((m) => m.headers.ce_type === 'PostLiked')?.headers.ce_source).toBe('/gram/content');
    const everything = JSON.stringify(messages);
    for (const secret of [author.email, author.phoneNo, author.passwordHash, fan.refreshTokenHash]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('stores its checkpoint with each batch: a restarted relay publishes only what is new', async () => {
    const account = newAccount(1);
    await signUp(store, account);
    const streams = new Set([streamIds.user(account.userId)]);
    const first = await startRelay();
    await readOwn(() => streams, 1, 0);
    const head = await store.headPosition();
    while ((first.position ?? 0) < head) await new Promise((resolve) => setTimeout(resolve, 20));
    await first.stop();

    const postId = await createPost(store, account.userId);
    streams.add(streamIds.post(postId));
    const second = await startRelay();
    const messages = await readOwn(() => streams, 2, 1_000);

    expect(second.published).toBe(1);
    expect(messages.map((m) => m.headers.ce_type).sort()).toEqual(['PostCreated', 'UserRegistered']);
  });

  it('reports its lag per published event, its checkpoint position and that it is active, in Prometheus text', async () => {
    const registry = new Registry();
    const account = newAccount(1);
    await signUp(store, account);
    const relay = await startRelay({ metrics: new RelayMetrics(registry) });
    const head = await store.headPosition();
    while ((relay.position ?? 0) < head) await new Promise((resolve) => setTimeout(resolve, 20));
    const text = await registry.metrics();
    // signup appends its reservations and credentials too: every event read counts, published or private
    const count = Number(/gram_relay_lag_seconds_count (\d+)/.exec(text)?.[1]);
    expect(count).toBe(head);
    expect(text).toContain(`gram_relay_position ${head}`);
    expect(text).toContain('gram_relay_active 1');
  });

  it('keeps one instance active; when it stops, the standby takes over from the checkpoint and nothing is lost', async () => {
    const author = newAccount(1);
    await signUp(store, author);
    const postId = await createPost(store, author.userId);
    const a = await startRelay({ instanceId: 'a' });
    await a.whenActive();
    const b = await startRelay({ instanceId: 'b' });
    // b has joined the lease group: a rebalance happened, and the sticky lease stays with a.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect([a.status, b.status]).toEqual(['active', 'standby']);

    const fans = Array.from({ length: 100 }, () => randomUUID());
    const streams = new Set([streamIds.user(author.userId), streamIds.post(postId)]);
    const appending = (async () => {
      for (const fan of fans) {
        await like(store, postId, author.userId, fan);
        streams.add(streamIds.like(postId, fan));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await a.stop();
    await b.whenActive();
    await appending;

    const messages = await readOwn(() => streams, 102, 1_000);
    const likes = messages.filter((m) => m.headers.ce_type === 'PostLiked').map((m) => m.key);
    expect(new Set(likes).size).toBe(100);
    expect(likes.length).toBe(100);
    expect(a.published + b.published).toBe(102);
    expect(b.published).toBeGreaterThan(0);
  });

  it('fences a zombie: a producer with the same transactional id can no longer commit once the holder re-initialises', async () => {
    const author = newAccount(1);
    await signUp(store, author);
    const streams = new Set([streamIds.user(author.userId)]);
    const relay = await startRelay();
    await readOwn(() => streams, 1, 0);

    // A second producer of the same transactional id: while it is the newest, it fences the relay's producer.
    const zombie = kafka.producer({
      transactionalId: relayCoordinates(name).transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await zombie.connect();
    const zombieTransaction = await zombie.transaction();
    await zombieTransaction.send({
      topic: 'identity.users',
      messages: [{ key: streams.values().next().value as string, value: '{}' }],
    });

    // The relay's next transaction fails (fenced); it starts a new session, which fences the zombie in turn and
    // resumes from the checkpoint.
    const postId = await createPost(store, author.userId);
    streams.add(streamIds.post(postId));
    const messages = await readOwn(() => streams, 2, 1_000);
    await expect(zombieTransaction.commit()).rejects.toThrow();
    await zombie.disconnect();

    expect(messages.map((m) => m.headers.ce_type).sort()).toEqual(['PostCreated', 'UserRegistered']);
    expect(relay.status).toBe('active');
  });
});
