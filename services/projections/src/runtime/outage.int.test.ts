import { KafkaPublisher, KafkaSubscriber, publicMessageOf, silentLogger } from '@gram/messaging';
import { startTcpProxy } from '@gram/test-servers';
import { injectServer } from '@gram/test-servers/inject';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { HistoryBuilder } from '../../test/history.js';
import { kafkaWithPublicTopics } from '../../test/kafka.js';
import { fixedReadModels } from '../app.js';
import { counters, lists } from '../read-models/registry.js';
import { mongoRedisReadModelStore } from '../store/mongo-redis.js';
import { subscribeProjections } from './workers.js';

const brokers = injectServer('kafkaBrokers');
const mongoUrl = injectServer('mongoUrl');
const redisUrl = injectServer('redisUrl');

/** Whether `check` came true within `timeoutMs`. */
async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.skipIf(brokers === undefined || mongoUrl === undefined || redisUrl === undefined)(
  'projection workers through a MongoDB outage (real Kafka, FerretDB and Redis)',
  () => {
    it('wait out an outage longer than their retry budget and then apply every message of it, dead-lettering none', async () => {
      const ferretdb = new URL(mongoUrl as string);
      const proxy = await startTcpProxy({ host: ferretdb.hostname, port: Number(ferretdb.port) });
      // Operations fail fast while the link is down, so the retry budget is spent within the outage.
      const mongo = await MongoClient.connect(`mongodb://127.0.0.1:${proxy.port}/`, {
        serverSelectionTimeoutMS: 300,
      });
      const redis = new Redis(redisUrl as string);
      const store = mongoRedisReadModelStore({
        counters,
        lists,
        db: mongo.db('projections_outage_test'),
        redis,
        generation: Math.floor(Math.random() * 1e6),
      });
      await store.documents.ensureIndexes();

      const h = new HistoryBuilder();
      const author = h.register('outage_author');
      const postId = h.post(author);
      const likers = [1, 2, 3].map((i) => h.register(`outage_liker_${i}`));
      const before = h.events.length;
      for (const liker of likers) h.like(postId, author, liker);
      const published = h.events.map((event) => publicMessageOf(event));
      const setUp = published.slice(0, before).flatMap((message) => message ?? []);
      const duringOutage = published.slice(before).flatMap((message) => message ?? []);

      const kafka = await kafkaWithPublicTopics(brokers as string[], 'projections-outage-test');
      const deadLettered: string[] = [];
      const subscriber = new KafkaSubscriber({
        kafka,
        shutdownSignals: [],
        // Only what is published from now on: the public topics hold every other test's events too, and working
        // through them on FerretDB would take longer than this test.
        fromBeginning: false,
        // A budget of about a second (3 attempts, 300 ms server selection each), against an outage of 4 s.
        retry: { maxAttempts: 3, initialBackoffMs: 50, maxBackoffMs: 200 },
        logger: { ...silentLogger, error: (_fields, line) => void deadLettered.push(line) },
      });
      const publisher = new KafkaPublisher(kafka);
      try {
        await subscribeProjections(subscriber, fixedReadModels(store), {
          groupId: `projections-outage-test-${process.pid}-${Date.now()}`,
        });
        // A new group starting at the latest offsets misses what is published before it has its partitions, so
        // the set-up is published again until it shows (the handlers are idempotent).
        const setUpDeadline = Date.now() + 60_000;
        let postShown = false;
        while (!postShown && Date.now() < setUpDeadline) {
          await publisher.publish(setUp);
          postShown = await eventually(
            async () => (await store.documents.get('posts', postId)) !== undefined,
            3_000,
          );
        }
        expect(await store.documents.get('posts', postId)).toMatchObject({ status: 'live' });

        proxy.cut();
        await publisher.publish(duringOutage);
        await new Promise((resolve) => setTimeout(resolve, 4_000));
        proxy.restore();

        await eventually(async () => (await store.documents.get('posts', postId))?.likesCount === 3, 30_000);
        expect(await store.documents.get('posts', postId)).toMatchObject({ likesCount: 3 });
        expect(deadLettered.filter((line) => line.includes('PostLiked'))).toEqual([]);
      } finally {
        await subscriber.stop();
        await publisher.close();
        await store.drop().catch(() => {});
        await mongo.close();
        redis.disconnect();
        await proxy.close();
      }
    }, 90_000);
  },
);
