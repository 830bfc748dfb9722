import { createTestTokenIssuer } from '@gram/service-kit/testing';
import { injectServer } from '@gram/test-servers/inject';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messagesOf, twiceShuffled } from '../../test/deliveries.js';
import { generateHistory, HistoryBuilder } from '../../test/history.js';
import { buildProjectionsApp, fixedReadModels } from '../app.js';
import { Projector } from '../projection/projector.js';
import { compareCounters, recountFromEvents } from '../verify/recount.js';
import { collections, type Doc, type FeedEntry } from './document-store.js';
import { createMemoryReadModelStore } from './memory-store.js';
import { type MongoRedisReadModelStore, mongoRedisReadModelStore } from './mongo-redis-store.js';

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

    async function freshStore(): Promise<MongoRedisReadModelStore> {
      const store = mongoRedisReadModelStore({
        db: client.db('projections_test'),
        redis,
        generation: generation++,
      });
      await store.documents.ensureIndexes();
      stores.push(store);
      return store;
    }

    async function dump(store: MongoRedisReadModelStore) {
      const documents: Record<string, Doc[]> = {};
      for (const name of collections) {
        documents[name] = (await store.documents.findAll(name, {})).sort((a, b) => (a.id < b.id ? -1 : 1));
      }
      const feeds: Record<string, FeedEntry[]> = {};
      const keys = (await redis.keys(`${store.feeds.prefix}feed:*`)).sort();
      for (const key of keys)
        feeds[key.slice(`${store.feeds.prefix}feed:`.length)] = await store.feeds.page(
          key.slice(`${store.feeds.prefix}feed:`.length),
          undefined,
          10_000,
        );
      return { documents, feeds };
    }

    const history = generateHistory({
      users: 12,
      follows: 40,
      posts: 30,
      likes: 60,
      comments: 30,
      deletedUsers: 2,
      seed: 3,
    });

    it('every event delivered twice and shuffled builds the same documents and feeds as the memory adapter in one clean pass', async () => {
      const memory = createMemoryReadModelStore();
      const reference = new Projector(memory);
      for (const message of messagesOf(history)) await reference.handle(message);

      const store = await freshStore();
      const projector = new Projector(store);
      for (const message of twiceShuffled(messagesOf(history), 5)) await projector.handle(message);

      const stored = await dump(store);
      expect(stored.documents).toEqual(memory.documents.dump());
      expect(stored.feeds).toEqual(memory.feeds.dump());
      expect(await compareCounters(await recountFromEvents(history), store.documents)).toEqual([]);
      expect(await store.checkpoint.position()).toBe(
        history.length > 0 ? Math.max(...messagesOf(history).map((m) => m.position)) : 0,
      );
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
