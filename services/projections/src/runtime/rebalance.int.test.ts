import {
  type EventMessage,
  KafkaPublisher,
  KafkaSubscriber,
  publicMessageOf,
  silentLogger,
} from '@gram/messaging';
import { injectServer } from '@gram/test-servers/inject';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HistoryBuilder } from '../../test/history.js';
import { kafkaWithPublicTopics } from '../../test/kafka.js';
import { fixedReadModels } from '../app.js';
import { counters } from '../read-models/registry.js';
import { type MongoRedisReadModelStore, mongoRedisReadModelStore } from '../store/mongo-redis.js';
import { compareCounters, recountFromEvents } from '../verify/recount.js';
import { ProjectionMetrics } from './metrics.js';
import { subscribeProjections } from './workers.js';

const brokers = injectServer('kafkaBrokers');
const mongoUrl = injectServer('mongoUrl');
const redisUrl = injectServer('redisUrl');

/** Polls `check` until it holds; whether it did before `timeoutMs`. */
async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The metrics of one worker, also counting which of the test's messages it applied (id → times). */
class RecordingMetrics extends ProjectionMetrics {
  readonly applications = new Map<string, number>();

  constructor(private readonly ours: ReadonlySet<string>) {
    super(new Registry());
  }

  override applied(message: EventMessage, now?: number): void {
    super.applied(message, now);
    if (this.ours.has(message.id))
      this.applications.set(message.id, (this.applications.get(message.id) ?? 0) + 1);
  }

  get total(): number {
    let total = 0;
    for (const times of this.applications.values()) total += times;
    return total;
  }
}

/**
 * Hot posts: a few posts liked by nearly everyone (some likes taken back), commented on and replied to,
 * accounts following one another, a post deleted and an account deleted late, with everything it did before.
 */
function hotPostsHistory() {
  const h = new HistoryBuilder();
  const users = Array.from({ length: 30 }, (_, i) => h.register(`rebalance_${i}`));
  const authors = users.slice(0, 3) as [string, string, string];
  const posts = authors.map((author) => ({ author, postId: h.post(author) }));
  const extra = h.post(authors[0]);
  users.forEach((user, i) => {
    for (const author of authors) if (user !== author) h.follow(user, author);
    if (i % 4 === 0) h.follow(user, users[(i + 7) % users.length] as string);
    for (const { author, postId } of posts) h.like(postId, author, user);
    if (i % 5 === 0) {
      const { author, postId } = posts[i % posts.length] as (typeof posts)[number];
      const commentId = h.comment(postId, author, user);
      h.reply(commentId, postId, author, users[(i + 1) % users.length] as string);
    }
  });
  users.forEach((user, i) => {
    if (i % 6 === 1) h.unlike((posts[1] as (typeof posts)[number]).postId, user);
    if (i % 9 === 2) h.unfollow(user, authors[2]);
  });
  h.like(extra, authors[0], users[5] as string);
  h.deletePost(extra, authors[0]);
  h.deleteUser(users[10] as string);
  return h.events;
}

describe.skipIf(brokers === undefined || mongoUrl === undefined || redisUrl === undefined)(
  'projection workers sharing the public topics as one consumer group (real Kafka, FerretDB and Redis)',
  () => {
    it('partitions moving from one worker to another mid-stream, with the log published twice, leave every count exact', async () => {
      const events = hotPostsHistory();
      const published = events.flatMap((event) => publicMessageOf(event) ?? []);
      const ours = new Set(published.map(({ message }) => message.id));
      const expected = await recountFromEvents(events);
      const liked = published.filter(({ message }) => message.type === 'PostLiked').length;

      const kafka = await kafkaWithPublicTopics(brokers as string[], 'projections-rebalance-test');
      const groupId = `projections-rebalance-test-${process.pid}-${Date.now()}`;
      const generation = Math.floor(Math.random() * 1e6);
      // Two workers as two processes would be: clients and store objects of their own, over one generation.
      const workers = ['A', 'B'].map(async () => {
        const mongo = await MongoClient.connect(mongoUrl as string);
        const redis = new Redis(redisUrl as string);
        const store = mongoRedisReadModelStore({
          counters,
          db: mongo.db('projections_rebalance_test'),
          redis,
          generation,
        });
        const subscriber = new KafkaSubscriber({ kafka, logger: silentLogger, shutdownSignals: [] });
        const metrics = new RecordingMetrics(ours);
        const start = () => subscribeProjections(subscriber, fixedReadModels(store), { groupId, metrics });
        const close = async () => {
          await subscriber.stop();
          await mongo.close();
          redis.disconnect();
        };
        return { store, subscriber, metrics, start, close };
      });
      const [a, b] = (await Promise.all(workers)) as [
        Awaited<(typeof workers)[number]>,
        Awaited<(typeof workers)[number]>,
      ];
      // What the test reads through: B's clients, open to the end.
      const store: MongoRedisReadModelStore = b.store;
      await store.documents.ensureIndexes();
      const publisher = new KafkaPublisher(kafka);
      try {
        // A alone, from the oldest retained message (the public topics also hold the other tests' events, which
        // land in this generation under other ids).
        await a.start();
        await publisher.publish(published);
        expect(
          await eventually(
            async () => (await store.documents.count('likes', { liked: true })) >= liked / 3,
            120_000,
          ),
          'a third of the likes applied by A',
        ).toBe(true);

        // B joins mid-stream: the group rebalances, some of A's partitions move to B. The log is published again
        // meanwhile (at least once), so both have work on their partitions.
        await b.start();
        await publisher.publish(published);
        expect(
          await eventually(async () => b.metrics.total > 0, 120_000),
          'B applied messages of its partitions',
        ).toBe(true);

        // A stops: its partitions move to B, from the offsets A committed.
        await a.close();

        // Done when every message of ours was applied at least once per publication, and the counts agree.
        const settled = await eventually(async () => {
          for (const id of ours) {
            if ((a.metrics.applications.get(id) ?? 0) + (b.metrics.applications.get(id) ?? 0) < 2)
              return false;
          }
          return (await compareCounters(expected, store.documents)).length === 0;
        }, 120_000);
        expect(a.metrics.total).toBeGreaterThan(0);
        expect(b.metrics.total).toBeGreaterThan(0);
        expect(await compareCounters(expected, store.documents)).toEqual([]);
        expect(settled).toBe(true);
      } finally {
        await a.close();
        await store.drop().catch(() => {});
        await b.close();
        await publisher.close();
      }
    }, 300_000);
  },
);
