import { isDeepStrictEqual } from 'node:util';
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
import { counters, lists } from '../read-models/registry.js';
import type { CollectionName, ReadModelStore } from '../store/document-store.js';
import { likeId } from '../store/keys.js';
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
 * The documents of `store`, whose applyRevision of (collection, id, rev) stops before writing anything until
 * released: a worker stuck in that message (a long pause, a stalled connection), its group knowing nothing of it.
 */
function stuckAt(
  store: MongoRedisReadModelStore,
  at: { collection: CollectionName; id: string; rev: number },
) {
  let reached: () => void = () => {};
  let release: () => void = () => {};
  const stuck = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const documents = new Proxy(store.documents, {
    get(target, property) {
      if (property === 'applyRevision') {
        return async (
          collection: CollectionName,
          id: string,
          rev: number,
          fields: Record<string, unknown>,
        ) => {
          if (collection === at.collection && id === at.id && rev === at.rev) {
            reached();
            await released;
          }
          return target.applyRevision(collection, id, rev, fields);
        };
      }
      const value = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: { ...store, documents }, stuck, release };
}

/** Whether `promise` settled within `timeoutMs`. */
function within(promise: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  return Promise.race([promise.then(() => true), timeout]).finally(() => clearTimeout(timer));
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
  // A like taken back (above): the stream a worker may be stuck in, between its two events.
  const takenBack = { postId: (posts[1] as (typeof posts)[number]).postId, userId: users[1] as string };
  return { events: h.events, takenBack };
}

describe.skipIf(brokers === undefined || mongoUrl === undefined || redisUrl === undefined)(
  'projection workers sharing the public topics as one consumer group (real Kafka, FerretDB and Redis)',
  () => {
    /** A history of new ids for each test: the public topics keep the other tests' messages. */
    function history() {
      const { events, takenBack } = hotPostsHistory();
      const published = events.flatMap((event) => publicMessageOf(event) ?? []);
      const ours = new Set(published.map(({ message }) => message.id));
      return { published, ours, takenBack, expected: recountFromEvents(events) };
    }

    /**
     * A worker as a process of its own would be: clients and a store object of its own, over `generation`, a
     * member of the consumer group `groupId` once started. `wrap` may stand in for its store (stuckAt).
     */
    async function worker(
      kafka: Awaited<ReturnType<typeof kafkaWithPublicTopics>>,
      groupId: string,
      generation: number,
      ours: ReadonlySet<string>,
      options: {
        sessionTimeoutMs?: number;
        wrap?: (store: MongoRedisReadModelStore) => ReadModelStore;
      } = {},
    ) {
      const mongo = await MongoClient.connect(mongoUrl as string);
      const redis = new Redis(redisUrl as string);
      const store = mongoRedisReadModelStore({
        counters,
        lists,
        db: mongo.db('projections_rebalance_test'),
        redis,
        generation,
      });
      await store.documents.ensureIndexes();
      const subscriber = new KafkaSubscriber({
        kafka,
        logger: silentLogger,
        shutdownSignals: [],
        ...(options.sessionTimeoutMs
          ? { sessionTimeoutMs: options.sessionTimeoutMs, heartbeatIntervalMs: 500 }
          : {}),
      });
      const metrics = new RecordingMetrics(ours);
      const written = options.wrap?.(store) ?? store;
      return {
        store,
        metrics,
        start: () => subscribeProjections(subscriber, fixedReadModels(written), { groupId, metrics }),
        async close() {
          await subscriber.stop();
          await mongo.close();
          redis.disconnect();
        },
      };
    }

    /** Done when every message of ours was applied at least twice (once per publication) and the counts agree. */
    const settled = (
      { ours, expected }: ReturnType<typeof history>,
      workers: readonly { metrics: RecordingMetrics }[],
      store: MongoRedisReadModelStore,
    ) =>
      eventually(async () => {
        for (const id of ours) {
          let times = 0;
          for (const { metrics } of workers) times += metrics.applications.get(id) ?? 0;
          if (times < 2) return false;
        }
        return (await compareCounters(await expected, store.documents)).length === 0;
      }, 120_000);

    it('partitions moving from one worker to another mid-stream, with the log published twice, leave every count exact', async () => {
      const ofTest = history();
      const { published, expected } = ofTest;
      const liked = published.filter(({ message }) => message.type === 'PostLiked').length;
      const kafka = await kafkaWithPublicTopics(brokers as string[], 'projections-rebalance-test');
      const groupId = `projections-rebalance-test-${process.pid}-${Date.now()}`;
      const generation = Math.floor(Math.random() * 1e6);
      const a = await worker(kafka, groupId, generation, ofTest.ours);
      const b = await worker(kafka, groupId, generation, ofTest.ours);
      // What the test reads through: B's clients, open to the end.
      const store = b.store;
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

        const done = await settled(ofTest, [a, b], store);
        expect(a.metrics.total).toBeGreaterThan(0);
        expect(b.metrics.total).toBeGreaterThan(0);
        expect(await compareCounters(await expected, store.documents)).toEqual([]);
        expect(done).toBe(true);
      } finally {
        await a.close();
        await store.drop().catch(() => {});
        await b.close();
        await publisher.close();
      }
    }, 300_000);

    it('a worker stuck in a message while its partitions move on, finishing it after the new owner applied the stream past it, moves no count', async () => {
      const ofTest = history();
      const { published, expected, takenBack } = ofTest;
      const kafka = await kafkaWithPublicTopics(brokers as string[], 'projections-rebalance-test');
      const groupId = `projections-rebalance-zombie-test-${process.pid}-${Date.now()}`;
      const generation = Math.floor(Math.random() * 1e6);
      const like = published.find(
        ({ message }) =>
          message.type === 'PostLiked' &&
          isDeepStrictEqual(
            {
              postId: (message.data as { postId: string }).postId,
              userId: (message.data as { userId: string }).userId,
            },
            takenBack,
          ),
      )?.message as EventMessage;
      const unlike = published.find(
        ({ message }) => message.type === 'PostUnliked' && message.streamId === like.streamId,
      )?.message as EventMessage;
      let stuck: ReturnType<typeof stuckAt> | undefined;
      // A leaves the group soon after it stops heartbeating (it does not while stuck within a message).
      const a = await worker(kafka, groupId, generation, ofTest.ours, {
        sessionTimeoutMs: 6_000,
        wrap: (store) => {
          stuck = stuckAt(store, {
            collection: 'likes',
            id: likeId(takenBack.postId, takenBack.userId),
            rev: like.streamRevision,
          });
          return stuck.store;
        },
      });
      const b = await worker(kafka, groupId, generation, ofTest.ours);
      const store = b.store;
      const publisher = new KafkaPublisher(kafka);
      try {
        await a.start();
        await publisher.publish(published);
        expect(
          await within((stuck as ReturnType<typeof stuckAt>).stuck, 120_000),
          'A stuck in the like',
        ).toBe(true);

        // B joins; A, silent, is dropped from the group, and B gets every partition from the offsets A committed:
        // the like again, then its unlike, from both publications, and everything else.
        await b.start();
        await publisher.publish(published);
        expect(
          await eventually(async () => (b.metrics.applications.get(unlike.id) ?? 0) >= 2, 120_000),
          'B applied the unlike of both publications',
        ).toBe(true);
        expect(await settled(ofTest, [a, b], store), 'every message applied, every count exact').toBe(true);

        // A comes back to life and finishes the like, a revision behind what B wrote: nothing may move.
        stuck?.release();
        expect(
          await eventually(async () => a.metrics.applications.has(like.id), 120_000),
          'A finished the like',
        ).toBe(true);
        expect(await compareCounters(await expected, store.documents)).toEqual([]);

        // A stops (it may have rejoined the group meanwhile): whatever it redelivered to B changes nothing either.
        await a.close();
        expect(await settled(ofTest, [a, b], store), 'every count exact after A stopped').toBe(true);
        expect(await compareCounters(await expected, store.documents)).toEqual([]);
      } finally {
        stuck?.release();
        await a.close();
        await store.drop().catch(() => {});
        await b.close();
        await publisher.close();
      }
    }, 300_000);
  },
);
