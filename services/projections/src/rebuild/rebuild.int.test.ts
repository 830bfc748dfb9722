import { type EventStore, openSqliteEventStore, type RecordedEvent } from '@gram/event-store';
import { InProcessBus, publicMessageOf, silentLogger } from '@gram/messaging';
import { createTestTokenIssuer } from '@gram/service-kit/testing';
import { startTcpProxy } from '@gram/test-servers';
import { injectServer } from '@gram/test-servers/inject';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withoutZeroCounts } from '../../test/counts.js';
import { generateHistory, HistoryBuilder } from '../../test/history.js';
import { rankingsOf } from '../../test/rankings.js';
import { buildProjectionsApp } from '../app.js';
import { Projector } from '../projection/projector.js';
import { subscribeProjections } from '../runtime/workers.js';
import { collections } from '../store/document-store.js';
import { Generations } from '../store/generations.js';
import { compareCounters, recountFromEvents } from '../verify/recount.js';
import { readLog, rebuildGeneration, rebuildInMemory } from './rebuild.js';

const mongoUrl = injectServer('mongoUrl');
const redisUrl = injectServer('redisUrl');
const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);

/**
 * Every key of the rankings of posts and of user search under `prefix`, with all it holds (sorted sets with
 * their scores as Redis keeps them, hashes, sets sorted, strings).
 */
async function rankingKeys(redis: Redis, prefix: string): Promise<Record<string, unknown>> {
  const keys = [
    ...(await redis.keys(`${prefix}rank:*`)),
    ...(await redis.keys(`${prefix}ranked:*`)),
    ...(await redis.keys(`${prefix}search:users:rank*`)),
  ].sort();
  const found: Record<string, unknown> = {};
  for (const key of keys) {
    const type = await redis.type(key);
    found[key] =
      type === 'zset'
        ? await redis.zrange(key, 0, -1, 'WITHSCORES')
        : type === 'hash'
          ? await redis.hgetall(key)
          : type === 'set'
            ? (await redis.smembers(key)).sort()
            : await redis.get(key);
  }
  return found;
}

/** Appends recorded events to the event store, each to its own stream. */
async function appendEvents(events: EventStore, recorded: readonly RecordedEvent[]): Promise<void> {
  for (const e of recorded) {
    await events.appendToStream(
      e.streamId,
      [{ id: e.id, type: e.type, data: e.data, metadata: e.metadata }],
      {
        expectedRevision: 'any',
      },
    );
  }
}

/**
 * The generation pointer as another process follows it, through a TCP proxy to FerretDB whose link can be cut
 * while the rebuild's own client stays connected. It is never polled (the interval is a minute): only its
 * staleness bound, 100 ms, makes it read the pointer again.
 */
async function followThroughProxy(dbName: string, redis: Redis) {
  const ferretdb = new URL(mongoUrl as string);
  const proxy = await startTcpProxy({ host: ferretdb.hostname, port: Number(ferretdb.port) });
  const client = await MongoClient.connect(`mongodb://127.0.0.1:${proxy.port}/`, {
    serverSelectionTimeoutMS: 300,
  });
  const followed = await new Generations(client.db(dbName), redis).follow(60_000, { maxStaleMs: 100 });
  return {
    proxy,
    followed,
    async close() {
      proxy.restore();
      followed.stop();
      await client.close();
      await proxy.close();
    },
  };
}

/** Whether `check` came true within `timeoutMs`. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(mongoUrl === undefined || redisUrl === undefined)(
  'rebuild into MongoDB (FerretDB) + Redis',
  () => {
    let client: MongoClient;
    let redis: Redis;
    beforeAll(async () => {
      client = await MongoClient.connect(mongoUrl as string);
      redis = new Redis(redisUrl as string);
    });
    afterAll(async () => {
      await client?.close();
      redis?.disconnect();
    });

    it('replays the log into a fresh generation, switches the pointer to it, drops the old one, and verifies clean', async () => {
      const events = openSqliteEventStore({ path: ':memory:' });
      await appendEvents(
        events,
        generateHistory({
          users: 15,
          follows: 50,
          posts: 30,
          likes: 80,
          comments: 30,
          deletedUsers: 1,
          privacy: true,
        }),
      );
      const db = client.db(`rebuild_${Date.now()}`);
      const generations = new Generations(db, redis);
      const following = await generations.follow(10);
      const first = await rebuildGeneration({ events, generations, graceMs: 0 });
      expect(first.generation).toBe(2);
      const second = await rebuildGeneration({ events, generations, graceMs: 50 });
      expect(await generations.active()).toBe(3);
      expect(second.position).toBe(await events.headPosition());
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(following.current().generation).toBe(3);
      following.stop();

      const names = (await db.listCollections().toArray()).map((c) => c.name);
      expect(names.filter((n) => n.startsWith('g2_'))).toEqual([]);
      expect(await redis.keys('g2:*')).toEqual([]);
      const expected = await recountFromEvents(readLog(events));
      const rebuilt = generations.store(3);
      expect(await compareCounters(expected, rebuilt.documents)).toEqual([]);
      // The export wrote the hot copies beside MongoDB: the same users and posts (MongoDB's with their counts from
      // Redis), and likedByMe for every edge.
      for (const name of ['users', 'posts'] as const) {
        const stored = await rebuilt.documents.findAll(name, {});
        const copies = await rebuilt.documents.copies?.redis?.getMany(
          name,
          stored.map((doc) => doc.id),
        );
        expect(copies?.sort(byId)).toEqual(stored.sort(byId));
      }
      for (const edge of await rebuilt.documents.mongo.findAll('likes', {})) {
        const liked = await rebuilt.liked.among(edge.userId as string, [edge.postId as string]);
        expect(liked.has(edge.postId as string)).toBe(edge.liked === true);
      }
      await generations.store(3).drop();
      await events.close();
    });

    it('brings into the new generation what a live worker applied to the old one before it saw the switch', async () => {
      const events = openSqliteEventStore({ path: ':memory:' });
      const history = new HistoryBuilder();
      const author = history.register('author');
      history.post(author, 'before the rebuild');
      const append = (from: number) => appendEvents(events, history.events.slice(from));
      await append(0);
      const generations = new Generations(client.db(`rebuild_live_${Date.now()}`), redis);
      const previous = await generations.active();

      const rebuilt = rebuildGeneration({ events, generations, graceMs: 300 });
      while ((await generations.active()) === previous) await new Promise((r) => setTimeout(r, 2));
      // The switch is written; a live worker that has not polled yet consumes a new post and applies it to the
      // generation it still follows.
      const before = history.events.length;
      const postId = history.post(author, 'during the switch');
      await append(before);
      const [appended] = history.events.slice(before);
      await new Projector(generations.store(previous)).applyEvents([
        { type: appended?.type as string, data: appended?.data, streamRevision: 0 },
      ]);
      const { generation } = await rebuilt;

      expect(await generations.store(generation).documents.get('posts', postId)).toMatchObject({
        caption: 'during the switch',
      });
      await generations.store(generation).drop();
      await events.close();
    });

    it('keeps a live worker that cannot read the pointer from writing to the generation a rebuild switched away from and dropped', async () => {
      const events = openSqliteEventStore({ path: ':memory:' });
      const history = new HistoryBuilder();
      const author = history.register('fenced_author');
      history.post(author, 'before the rebuild');
      const append = (from: number) => appendEvents(events, history.events.slice(from));
      const publish = (bus: InProcessBus, from: number) =>
        bus.publish(history.events.slice(from).flatMap((event) => publicMessageOf(event) ?? []));
      const dbName = `rebuild_fence_${Date.now()}`;
      const generations = new Generations(client.db(dbName), redis);
      const { proxy, followed, close } = await followThroughProxy(dbName, redis);
      const bus = new InProcessBus({
        retry: { initialBackoffMs: 20, maxBackoffMs: 100 },
        logger: silentLogger,
      });
      try {
        await subscribeProjections(bus, followed, { groupId: 'fence' });
        await append(0);
        await publish(bus, 0);
        const previous = followed.current().generation;
        const firstPost = history.events.find((e) => e.type === 'PostCreated')?.data as { postId: string };
        expect(
          await eventually(
            async () =>
              (await generations.store(previous).documents.get('posts', firstPost.postId)) !== undefined,
          ),
        ).toBe(true);

        proxy.cut();
        const { generation } = await rebuildGeneration({ events, generations, graceMs: 0 });
        const before = history.events.length;
        const postId = history.post(author, 'after the switch');
        await append(before);
        await publish(bus, before);
        await new Promise((resolve) => setTimeout(resolve, 500));
        proxy.restore();

        expect(
          await eventually(
            async () => (await generations.store(generation).documents.get('posts', postId)) !== undefined,
          ),
        ).toBe(true);
        const names = (await client.db(dbName).listCollections().toArray()).map((c) => c.name);
        expect(names.filter((name) => name.startsWith(`g${previous}_`))).toEqual([]);
        expect(await redis.keys(`g${previous}:*`)).toEqual([]);
        expect(bus.deadLetters).toEqual([]);
        await generations.store(generation).drop();
      } finally {
        await bus.stop();
        await close();
        await events.close();
      }
    }, 60_000);

    it('answers queries from the new generation as soon as a query process cut off through a rebuild reaches MongoDB again, not from the dropped one until its next poll', async () => {
      const events = openSqliteEventStore({ path: ':memory:' });
      const history = new HistoryBuilder();
      const author = history.register('partitioned_author');
      const postId = history.post(author, 'seen through the partition');
      await appendEvents(events, history.events);
      const dbName = `rebuild_refresh_${Date.now()}`;
      const generations = new Generations(client.db(dbName), redis);
      await rebuildGeneration({ events, generations, graceMs: 0 });
      const { proxy, followed, close } = await followThroughProxy(dbName, redis);
      const tokens = await createTestTokenIssuer();
      const app = buildProjectionsApp({ readModels: followed, verifier: tokens.verifier });
      try {
        expect((await app.inject({ url: `/api/v1/posts/${postId}` })).statusCode).toBe(200);
        const before = followed.current().generation;

        proxy.cut();
        const { generation } = await rebuildGeneration({ events, generations, graceMs: 0 });
        expect(generation).toBe(before + 1);
        proxy.restore();

        // The dropped generation would answer 404; the first requests may still find the link down.
        expect(
          await eventually(
            async () => (await app.inject({ url: `/api/v1/posts/${postId}` })).statusCode === 200,
          ),
        ).toBe(true);
        expect(followed.current().generation).toBe(generation);
        await generations.store(generation).drop();
      } finally {
        await app.close();
        await close();
        await events.close();
      }
    }, 60_000);

    it('exports the documents, feeds, merged authors, search indexes and rankings of the fold as they are, hot accounts included', async () => {
      const events = openSqliteEventStore({ path: ':memory:' });
      const history = {
        users: 12,
        follows: 60,
        posts: 40,
        likes: 80,
        comments: 30,
        deletedUsers: 2,
        search: true,
        seed: 4,
      };
      await appendEvents(events, generateHistory(history));
      const projector = { hotAuthorThreshold: 3 };
      const { store: folded } = await rebuildInMemory(events, projector);
      const generations = new Generations(client.db(`rebuild_hot_${Date.now()}`), redis);
      const { generation } = await rebuildGeneration({ events, generations, projector, graceMs: 0 });
      const rebuilt = generations.store(generation);

      // The documents as the store answers them: MongoDB's, with their counts from Redis.
      const expected = withoutZeroCounts(folded.documents.dump());
      for (const name of collections) {
        const stored = withoutZeroCounts({ [name]: await rebuilt.documents.findAll(name, {}) });
        expect(stored[name]?.sort(byId)).toEqual(expected[name]);
      }
      const merged = folded.feeds.dumpMergedAuthors();
      expect(Object.keys(merged).length).toBeGreaterThan(0);
      for (const [userId, authors] of Object.entries(merged)) {
        const newestFirst = Object.entries(authors)
          .sort(([a, at], [b, bt]) => bt - at || (a < b ? 1 : -1))
          .map(([authorId]) => authorId);
        expect(await rebuilt.feeds.mergedAuthors(userId, 100)).toEqual(newestFirst);
      }
      for (const [userId, feed] of Object.entries(folded.feeds.dump())) {
        expect(await rebuilt.feeds.page(userId, undefined, 10_000)).toEqual(feed);
      }
      const search = folded.search.dump();
      expect(search.users.erased.length).toBeGreaterThan(0);
      expect({ users: await rebuilt.search.dump('users'), tags: await rebuilt.search.dump('tags') }).toEqual(
        search,
      );
      expect(await rebuilt.search.dumpRanks()).toEqual(folded.search.dumpRanks());
      const rankings = rankingsOf(folded.rankings.dump());
      expect(rankings['explore:everyone']?.length).toBeGreaterThan(5);
      expect(rankingsOf(await rebuilt.rankings.dump())).toEqual(rankings);
      await rebuilt.drop();
      await events.close();
    });

    it('loads the rankings of posts and accounts as refreshing each post and ranking each account would set them, to the bit', async () => {
      const events = openSqliteEventStore({ path: ':memory:' });
      const history = generateHistory({
        users: 12,
        follows: 60,
        posts: 40,
        likes: 80,
        comments: 30,
        deletedUsers: 2,
        hashtags: true,
        search: true,
        seed: 5,
      });
      await appendEvents(events, history);
      const generations = new Generations(client.db(`rebuild_ranks_${Date.now()}`), redis);
      const { generation } = await rebuildGeneration({ events, generations, graceMs: 0 });
      const rebuilt = generations.store(generation);
      const loaded = await rankingKeys(redis, `g${generation}:`);
      expect(Object.keys(loaded).filter((key) => key.includes(':rank:tagTop:')).length).toBeGreaterThan(3);
      expect(Object.keys(loaded).filter((key) => key.includes(':rankedUnder:')).length).toBeGreaterThan(5);
      // The live scripts, run again on every post and account, find nothing to change.
      const postIds = history.flatMap((e) =>
        e.type === 'PostCreated' ? [(e.data as { postId: string }).postId] : [],
      );
      const userIds = history.flatMap((e) =>
        e.type === 'UserRegistered' ? [(e.data as { userId: string }).userId] : [],
      );
      for (const postId of postIds) await rebuilt.rankings.refresh(postId);
      for (const userId of userIds) await rebuilt.search.rankAccount(userId);
      expect(await rankingKeys(redis, `g${generation}:`)).toEqual(loaded);
      await rebuilt.drop();
      await events.close();
    });
  },
);
