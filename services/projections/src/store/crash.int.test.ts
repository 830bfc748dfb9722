import type { RecordedEvent } from '@gram/event-store';
import type { EventMessage } from '@gram/messaging';
import { injectServer } from '@gram/test-servers/inject';
import { Redis } from 'ioredis';
import { type Db, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messagesOf } from '../../test/deliveries.js';
import { HistoryBuilder } from '../../test/history.js';
import { Projector } from '../projection/projector.js';
import { counters, lists } from '../read-models/registry.js';
import {
  type CounterDifference,
  compareCounters,
  type ExpectedCounts,
  recountFromEvents,
} from '../verify/recount.js';
import { type MongoRedisReadModelStore, mongoRedisReadModelStore } from './mongo-redis.js';

const mongoUrl = injectServer('mongoUrl');
const redisUrl = injectServer('redisUrl');

/** What a worker's calls throw once it is dead: the process ended there, nothing of it runs any more. */
class WorkerDied extends Error {
  constructor() {
    super('the worker died');
  }
}

type Pipeline = ReturnType<Redis['pipeline']>;

/**
 * The Redis client of a worker that dies at its `at`-th Redis pipeline once armed: `before` it is sent (its
 * MongoDB write, made just before, is all that happened: no hot copy, no counted write), or `after` Redis
 * answered it (the next MongoDB write never happens). Every later call of the worker fails, as in a dead
 * process. A pipeline is how the store sends every Redis write of one document write (mongo-redis.ts), and the
 * projector awaits each store call before the next, so failing the call that died is all a crash does: nothing
 * of the worker runs after it.
 */
function dyingRedis(redis: Redis, at: number, when: 'before' | 'after') {
  const state = {
    armed: false,
    dead: false,
    /** pipelines sent (or dying) since armed */
    pipelines: 0,
    /** whether the pipeline it died at carried a counted write (RedisIndexes' script, gramCountedWrite, on a `counted:` hash) */
    diedOnCountedWrite: false,
  };
  const wrap = (pipeline: Pipeline): Pipeline => {
    let counted = false;
    return new Proxy(pipeline, {
      get(target, property) {
        if (property === 'gramCountedWrite') {
          return (...args: unknown[]) => {
            if (typeof args[0] === 'string' && args[0].includes(':counted:')) counted = true;
            return (Reflect.get(target, property) as (...a: unknown[]) => Pipeline).apply(target, args);
          };
        }
        if (property === 'exec') {
          return async () => {
            if (state.dead) throw new WorkerDied();
            const dies = state.armed && ++state.pipelines === at;
            if (dies) state.diedOnCountedWrite = counted;
            if (dies && when === 'before') {
              state.dead = true;
              throw new WorkerDied();
            }
            const replies = await target.exec();
            if (dies) {
              state.dead = true;
              throw new WorkerDied();
            }
            return replies;
          };
        }
        const value = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
  const client = new Proxy(redis, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      if (property === 'pipeline') {
        return () => {
          if (state.dead) throw new WorkerDied();
          return wrap(target.pipeline());
        };
      }
      return (...args: unknown[]) => {
        if (state.dead) throw new WorkerDied();
        return value.apply(target, args);
      };
    },
  });
  const arm = () => {
    state.armed = true;
  };
  return { client, state, arm };
}

/**
 * One history with every kind of counted write in it, each after enough of the others that its counts are not
 * trivial: the events a worker is killed on are marked.
 */
function crashHistory() {
  const h = new HistoryBuilder();
  const targets: [string, number][] = [];
  /** marks the event just appended (its position) as one a worker is killed on */
  const target = (name: string) => targets.push([name, h.events.length]);
  const ann = h.register('crash_ann');
  const bob = h.register('crash_bob');
  const cat = h.register('crash_cat');
  const dan = h.register('crash_dan');
  const p1 = h.post(ann);
  const p2 = h.post(ann);
  const p3 = h.post(bob);
  h.follow(bob, ann);
  h.follow(cat, ann);
  h.follow(ann, cat);
  h.like(p1, ann, bob);
  h.like(p1, ann, cat);
  h.like(p3, bob, cat);
  const c1 = h.comment(p1, ann, bob);
  h.reply(c1, p1, ann, cat);
  h.comment(p1, ann, cat);
  h.comment(p2, ann, bob);
  const c3 = h.comment(p1, ann, bob);

  h.like(p1, ann, dan);
  target('a like (likesCount)');
  h.follow(dan, ann);
  target('a follow (followersCount, followingCount)');
  h.comment(p1, ann, dan);
  target('a comment (commentsCount)');
  h.reply(c1, p1, ann, dan);
  target('a reply (replyCount)');
  h.unlike(p1, bob);
  target('an unlike (likesCount)');
  h.unfollow(bob, ann);
  target('an unfollow (followersCount, followingCount)');
  h.deleteComment(c3, p1, bob);
  target("a comment's deletion (commentsCount)");
  h.deletePost(p2, ann);
  target("a post's deletion (postCount)");
  h.deleteUser(cat);
  target("an account's deletion (its likes, follows, comments and replies stop counting)");
  h.like(p3, bob, dan);
  h.follow(dan, bob);
  h.reply(c1, p1, ann, bob);
  return { events: h.events, targets };
}

/** The events up to `message`, itself included. */
const until =
  (message: EventMessage) =>
  (event: RecordedEvent): boolean =>
    event.position <= message.position;

describe.skipIf(mongoUrl === undefined || redisUrl === undefined)(
  'a projection worker killed mid-event (MongoDB (FerretDB) + Redis read models)',
  () => {
    let client: MongoClient;
    let db: Db;
    let redis: Redis;
    let generation = Math.floor(Math.random() * 1e6);

    beforeAll(async () => {
      client = await MongoClient.connect(mongoUrl as string);
      db = client.db('projections_crash_test');
      redis = new Redis(redisUrl as string);
    });
    afterAll(async () => {
      await client?.close();
      redis?.disconnect();
    });

    const { events, targets } = crashHistory();
    const messages = messagesOf(events);
    const expected = recountFromEvents(events);

    const storeOf = (gen: number, over: Redis): MongoRedisReadModelStore =>
      mongoRedisReadModelStore({ counters, lists, db, redis: over, generation: gen });

    /**
     * Worker A applies everything before `target`, then is killed where `kill` says while applying it, or after
     * applying it whole (before its offset was committed). A fresh worker B over the same generation, as after a
     * restart, gets it again (at least once delivery): killed mid-event, from `target` on; killed after, the
     * whole partition from the start, as when no offset was committed yet, every count checked after each
     * message it gets again (none may move). Then the rest, and a second redelivery: the whole log again.
     * Answers the counts' differences from the recount of the log after the first redelivery and the rest,
     * after the second (and at each step of the replays checked), and where A died.
     */
    async function killAndRedeliver(target: EventMessage, kill?: { at: number; when: 'before' | 'after' }) {
      const gen = generation++;
      const dying = dyingRedis(redis, kill?.at ?? Number.POSITIVE_INFINITY, kill?.when ?? 'before');
      const a = storeOf(gen, dying.client);
      await a.documents.ensureIndexes();
      const workerA = new Projector(a);
      const b = storeOf(gen, redis);
      try {
        const i = messages.indexOf(target);
        for (const message of messages.slice(0, i)) await workerA.handle(message);
        dying.arm();
        const died = await workerA.handle(target).then(
          () => false,
          (error: unknown) => {
            if (error instanceof WorkerDied) return true;
            throw error;
          },
        );

        const workerB = new Projector(b);
        const duringReplays: (CounterDifference & { replayed: string })[] = [];
        const replay = async (replayed: readonly EventMessage[], counts: ExpectedCounts) => {
          for (const message of replayed) {
            await workerB.handle(message);
            if (kill) continue;
            const at = `${message.type} at position ${message.position}`;
            for (const difference of await compareCounters(counts, b.documents))
              duringReplays.push({ ...difference, replayed: at });
          }
        };
        if (kill) await replay(messages.slice(i), await expected);
        else {
          await replay(messages.slice(0, i + 1), await recountFromEvents(events.filter(until(target))));
          for (const message of messages.slice(i + 1)) await workerB.handle(message);
        }
        const afterRedelivery = await compareCounters(await expected, b.documents);
        await replay(messages, await expected);
        const afterSecondRedelivery = await compareCounters(await expected, b.documents);
        return {
          died,
          diedOnCountedWrite: dying.state.diedOnCountedWrite,
          afterRedelivery,
          afterSecondRedelivery,
          duringReplays,
        };
      } finally {
        await b.drop();
      }
    }

    it.each(targets)(
      'a worker killed at any of its Redis writes for %s (its MongoDB write done, for a document kept there) leaves every count exact once a fresh worker gets the event again, and a second redelivery of the whole log changes nothing',
      async (_, position) => {
        const target = messages.find((message) => message.position === position) as EventMessage;
        // The event moves counts that stay visible to the end: a count it failed to move would show.
        expect(await recountFromEvents(events.filter((event) => event.position !== position))).not.toEqual(
          await expected,
        );
        let countedWritesKilled = 0;
        for (let at = 1; ; at++) {
          expect(at, 'more Redis pipelines than any event writes').toBeLessThan(60);
          let reached = false;
          for (const when of ['before', 'after'] as const) {
            const run = await killAndRedeliver(target, { at, when });
            if (!run.died) continue;
            reached = true;
            if (run.diedOnCountedWrite) countedWritesKilled++;
            expect(run.afterRedelivery, `killed ${when} Redis pipeline ${at}, then redelivered`).toEqual([]);
            expect(
              run.afterSecondRedelivery,
              `killed ${when} Redis pipeline ${at}, then the whole log redelivered`,
            ).toEqual([]);
          }
          // The event's handling has fewer pipelines than `at`: every place to die in was tried.
          if (!reached) break;
        }
        expect(countedWritesKilled).toBeGreaterThan(0);
      },
      300_000,
    );

    it.each(targets)(
      'a worker killed after all its writes for %s, before its offset was committed, leaves every count exact at every step of the redelivery of its partition, and of the whole log again',
      async (_, position) => {
        const target = messages.find((message) => message.position === position) as EventMessage;
        const run = await killAndRedeliver(target);
        expect(run.died).toBe(false);
        expect(run.duringReplays).toEqual([]);
        expect(run.afterRedelivery).toEqual([]);
        expect(run.afterSecondRedelivery).toEqual([]);
      },
    );
  },
);
