import type { EventMessage } from '@gram/messaging';
import { createTestTokenIssuer } from '@gram/service-kit/testing';
import { injectServer } from '@gram/test-servers/inject';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectBlocksSeparate } from '../../test/blocks.js';
import { withoutZeroCounts } from '../../test/counts.js';
import { messagesOf, twiceShuffled } from '../../test/deliveries.js';
import { expectExplore } from '../../test/explore.js';
import { expectUnfollowRefillsFullFeed } from '../../test/feed-refill.js';
import { generateHistory, HistoryBuilder } from '../../test/history.js';
import { expectMutesKeepFeeds } from '../../test/mutes.js';
import { expectTopPagingOnce } from '../../test/ranked.js';
import { rankingsOf } from '../../test/rankings.js';
import { expectSearchFinds } from '../../test/search.js';
import { expectSearchIndexOrder } from '../../test/search-index.js';
import { expectTagPages } from '../../test/tags.js';
import { buildProjectionsApp, fixedReadModels } from '../app.js';
import { Projector, type ProjectorOptions } from '../projection/projector.js';
import { newestFirst } from '../queries/paging.js';
import { ReadModelQueries } from '../queries/read-model-queries.js';
import { counters, lists } from '../read-models/registry.js';
import { compareCounters, recountFromEvents } from '../verify/recount.js';
import { collections, type Doc, type FeedEntry, type ReadModelStore } from './document-store.js';
import { likeId, ms } from './keys.js';
import { createMemoryReadModelStore } from './memory.js';
import { type MongoRedisReadModelStore, mongoRedisReadModelStore } from './mongo-redis.js';

const mongoUrl = injectServer('mongoUrl');
const redisUrl = injectServer('redisUrl');

describe.skipIf(mongoUrl === undefined || redisUrl === undefined)(
  'MongoDB (FerretDB) + Redis read models',
  () => {
    let client: MongoClient;
    let redis: Redis;
    let generation = Math.floor(Math.random() * 1e6);
    const stores: MongoRedisReadModelStore[] = [];

    beforeAll(async () => {
      client = await MongoClient.connect(mongoUrl as string);
      redis = new Redis(redisUrl as string);
    });
    afterAll(async () => {
      for (const store of stores) await store.drop();
      await client?.close();
      redis?.disconnect();
    });

    async function freshStore(options: { feedCap?: number } = {}): Promise<MongoRedisReadModelStore> {
      const store = mongoRedisReadModelStore({
        counters,
        lists,
        db: client.db('projections_test'),
        redis,
        generation: generation++,
        ...options,
      });
      await store.documents.ensureIndexes();
      stores.push(store);
      return store;
    }

    const byId = (a: Doc, b: Doc) => (a.id < b.id ? -1 : 1);

    /**
     * Every document in MongoDB, with its counts from Redis (counts of 0 left out, see withoutZeroCounts); every
     * Redis copy of the hot ones; feeds and merged authors, keyed by user.
     */
    async function dump(store: MongoRedisReadModelStore) {
      let documents: Record<string, Doc[]> = {};
      let copies: Record<string, Doc[]> = {};
      for (const name of collections) {
        documents[name] = (await store.documents.findAll(name, {})).sort(byId);
        if (name === 'users' || name === 'posts') {
          const ids = (documents[name] as Doc[]).map((doc) => doc.id);
          copies[name] = (await store.documents.copies?.redis?.getMany(name, ids))?.sort(byId) ?? [];
        }
      }
      documents = withoutZeroCounts(documents);
      copies = withoutZeroCounts(copies);
      const users = async (kind: string) =>
        (await redis.keys(`${store.feeds.prefix}${kind}:*`))
          .map((key) => key.slice(`${store.feeds.prefix}${kind}:`.length))
          .sort();
      const feeds: Record<string, FeedEntry[]> = {};
      for (const userId of await users('feed'))
        feeds[userId] = await store.feeds.page(userId, undefined, 10_000);
      const merged: Record<string, Record<string, number>> = {};
      for (const userId of await users('merged')) {
        const raw = await redis.zrange(`${store.feeds.prefix}merged:${userId}`, 0, -1, 'WITHSCORES');
        const authors: [string, number][] = [];
        for (let i = 0; i < raw.length; i += 2) authors.push([raw[i] as string, Number(raw[i + 1])]);
        merged[userId] = Object.fromEntries(authors.sort(([a], [b]) => (a < b ? -1 : 1)));
      }
      return { documents, copies, feeds, merged };
    }

    /**
     * Every list the read models read (registry.ts `lists`), for every account, post and comment the memory
     * store knows, as `store` answers it: the (at, id) keys, newest first, then how many.
     */
    async function everyList(
      store: ReadModelStore,
      reference: ReturnType<typeof createMemoryReadModelStore>,
    ) {
      const ids = new Set(
        collections.flatMap((name) => reference.documents.stored(name).map((doc) => doc.id)),
      );
      const answers: Record<string, unknown> = {};
      for (const list of lists) {
        for (const id of ids) {
          const filter = list.filter(id);
          const keys = await store.documents.pageKeys(
            list.collection,
            filter,
            newestFirst,
            undefined,
            10_000,
          );
          if (keys.length === 0) continue;
          answers[`${list.name}:${id}`] = [keys, await store.documents.count(list.collection, filter)];
        }
      }
      return answers;
    }

    /** likedByMe for every like edge, as the store answers it */
    async function likedByMe(store: MongoRedisReadModelStore, edges: readonly Doc[]) {
      const answers: Record<string, boolean> = {};
      for (const edge of edges) {
        const [postId, userId] = [edge.postId as string, edge.userId as string];
        answers[edge.id] = (await store.liked.among(userId, [postId])).has(postId);
      }
      return answers;
    }

    const history = generateHistory({
      users: 12,
      follows: 40,
      posts: 30,
      likes: 60,
      comments: 30,
      deletedUsers: 2,
      mutes: 20,
      privacy: true,
      hashtags: true,
      search: true,
      seed: 3,
    });

    /** Every user's first feed page, as the query API answers it. */
    async function visibleFeeds(store: ReadModelStore, userIds: readonly string[]) {
      const queries = new ReadModelQueries(() => store);
      const feeds: Record<string, string[]> = {};
      for (const userId of userIds) {
        feeds[userId] = (await queries.feed(userId, { limit: 100 })).items.map((post) => post.id);
      }
      return feeds;
    }

    it.each([
      ['no account hot: the fanned-out feeds themselves', {}],
      [
        'the most followed accounts turning hot and back: merged authors, and the feeds as read',
        { hotAuthorThreshold: 3 },
      ],
    ] as const)(
      'every event delivered twice and shuffled builds the same documents, Redis copies, lists, rankings, merged authors and feeds as the memory adapter in one clean pass (%s)',
      async (_, options: ProjectorOptions) => {
        const memory = createMemoryReadModelStore({ counters });
        const reference = new Projector(memory, options);
        for (const message of messagesOf(history)) await reference.handle(message);

        const store = await freshStore();
        const projector = new Projector(store, options);
        for (const message of twiceShuffled(messagesOf(history), 5)) await projector.handle(message);

        const stored = await dump(store);
        const expected = withoutZeroCounts(memory.documents.dump());
        expect(stored.documents).toEqual(expected);
        expect(stored.copies).toEqual({ users: expected.users, posts: expected.posts });
        expect(stored.merged).toEqual(memory.feeds.dumpMergedAuthors());
        if (options.hotAuthorThreshold === undefined) {
          expect(stored.feeds).toEqual(memory.feeds.dump());
        } else {
          // Which posts of a hot author were fanned out before it turned hot depends on the order; what a reader
          // sees, with the hot authors merged in, does not.
          expect(Object.keys(stored.merged).length).toBeGreaterThan(0);
          const userIds = expected.users.map((user) => user.id);
          expect(await visibleFeeds(store, userIds)).toEqual(await visibleFeeds(memory, userIds));
        }
        const lists = await everyList(memory, memory);
        expect(Object.keys(lists).length).toBeGreaterThan(20);
        expect(await everyList(store, memory)).toEqual(lists);
        expect(await likedByMe(store, expected.likes)).toEqual(
          Object.fromEntries(expected.likes.map((edge) => [edge.id, edge.liked === true])),
        );
        expect(await compareCounters(await recountFromEvents(history), store.documents)).toEqual([]);
        const search = memory.search.dump();
        expect(Object.keys(search.tags.filed).length).toBeGreaterThan(5);
        expect({ users: await store.search.dump('users'), tags: await store.search.dump('tags') }).toEqual(
          search,
        );
        const ranks = memory.search.dumpRanks();
        expect(Object.keys(ranks).length).toBeGreaterThan(10);
        expect(await store.search.dumpRanks()).toEqual(ranks);
        const rankings = rankingsOf(memory.rankings.dump());
        expect(Object.keys(rankings).length).toBeGreaterThan(3);
        expect(rankingsOf(await store.rankings.dump())).toEqual(rankings);
        expect(await store.checkpoint.position()).toBe(
          history.length > 0 ? Math.max(...messagesOf(history).map((m) => m.position)) : 0,
        );
      },
    );

    it('a write that reached MongoDB but not its Redis copy (a crash in between) is repaired when the event is delivered again', async () => {
      const h = new HistoryBuilder();
      const ann = h.register('ann');
      const post = h.post(ann);
      h.updateProfile(ann, { name: 'Ann A.' });
      h.like(post, ann, ann);
      const messages = messagesOf(h.events);
      const store = await freshStore();
      const projector = new Projector(store);
      const [registered, created, updated, liked] = messages as [EventMessage, ...EventMessage[]];
      for (const message of [registered, created]) await projector.handle(message as EventMessage);
      for (const message of [updated, liked] as EventMessage[]) {
        const data = message.data as Record<string, unknown>;
        const collection = message.type === 'ProfileUpdated' ? 'users' : 'likes';
        const id = message.type === 'ProfileUpdated' ? ann : likeId(post, ann);
        await store.documents.mongo.applyRevision(collection, id, message.streamRevision, {
          ...(message.type === 'ProfileUpdated'
            ? { name: data.name }
            : { postId: post, userId: ann, liked: true, at: ms(data.likedAt as string), userDeleted: false }),
        });
      }
      expect((await store.documents.get('users', ann))?.name).toBe('ann');
      expect(await store.liked.among(ann, [post])).toEqual(new Set());

      for (const message of [updated, liked] as EventMessage[]) await projector.handle(message);
      expect((await store.documents.get('users', ann))?.name).toBe('Ann A.');
      expect(await store.liked.among(ann, [post])).toEqual(new Set([post]));
      expect((await store.documents.get('posts', post))?.likesCount).toBe(1);
    });

    it('an unfollow that empties part of a full Redis feed brings back the older posts of the accounts still followed', async () => {
      await expectUnfollowRefillsFullFeed(await freshStore({ feedCap: 5 }), 5);
    });

    it("keeps a muted author's posts out of the muter's feed, fanned out or merged, from the Redis lists", async () => {
      await expectMutesKeepFeeds(await freshStore());
      await expectMutesKeepFeeds(await freshStore(), 0);
    });

    it('keeps a blocked pair apart from the Redis lists: feeds fanned out or merged, not found, blocked, lists, blockedByMe', async () => {
      await expectBlocksSeparate(await freshStore());
      await expectBlocksSeparate(await freshStore(), 0);
    });

    it('serves tag pages from the Redis lists: recent and frozen top pages, privacy switches, edits, blocks, deletions, hashtags and mentions', async () => {
      await expectTagPages(await freshStore());
    });

    it('serves explore from the Redis lists and a frozen ranking in Redis: the 30 days, hour and engagement, who is left out, paging while likes move', async () => {
      await expectExplore(await freshStore());
    });

    it('pages a tag top from the Redis ranking past the frozen block, every post once while likes reorder it', async () => {
      await expectTopPagingOnce(await freshStore());
    });

    it("answers a prefix's search entries in term order, then id order in code points, as the memory index does", async () => {
      await expectSearchIndexOrder((await freshStore()).search);
    });

    it('finds accounts and tags from the Redis search indexes: folded prefixes, ranking and paging, blocked, deleted and erased accounts left out, tags of live public posts', async () => {
      await expectSearchFinds(await freshStore());
    });

    it('serves the query API from MongoDB and Redis: profile counts, feed pages, likedByMe', async () => {
      const h = new HistoryBuilder();
      const ann = h.register('ann');
      const bob = h.register('bob');
      h.follow(bob, ann);
      const posts = [h.post(ann), h.post(ann), h.post(bob)];
      h.like(posts[0] as string, ann, bob);
      const store = await freshStore();
      const projector = new Projector(store);
      for (const message of messagesOf(h.events)) await projector.handle(message);
      const tokens = await createTestTokenIssuer();
      const app = buildProjectionsApp({ readModels: fixedReadModels(store), verifier: tokens.verifier });
      const auth = { authorization: `Bearer ${await tokens.mint(bob)}` };

      const profile = await app.inject({ method: 'GET', url: `/api/v1/users/${ann}`, headers: auth });
      expect(profile.json()).toMatchObject({ followersCount: 1, postCount: 2, followedByMe: true });
      const first = (await app.inject({ method: 'GET', url: '/api/v1/feed?limit=2', headers: auth })).json();
      expect(first.items.map((p: { id: string }) => p.id)).toEqual([posts[2], posts[1]]);
      const second = (
        await app.inject({
          method: 'GET',
          url: `/api/v1/feed?limit=2&cursor=${first.nextCursor}`,
          headers: auth,
        })
      ).json();
      expect(second).toEqual({
        items: [expect.objectContaining({ id: posts[0], likesCount: 1, likedByMe: true })],
        nextCursor: null,
      });
    });
  },
);
