import { openSqliteEventStore } from '@gram/event-store';
import { injectServer } from '@gram/test-servers/inject';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHistory } from '../../test/history.js';
import { Generations } from '../read-model/generations.js';
import { compareCounters, recountFromEvents } from '../verify/recount.js';
import { readLog, rebuildGeneration } from './rebuild.js';

const mongoUrl = injectServer('mongoUrl');
const redisUrl = injectServer('redisUrl');

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
      for (const e of generateHistory({
        users: 15,
        follows: 50,
        posts: 30,
        likes: 80,
        comments: 30,
        deletedUsers: 1,
      })) {
        await events.appendToStream(
          e.streamId,
          [{ id: e.id, type: e.type, data: e.data, metadata: e.metadata }],
          {
            expectedRevision: 'any',
          },
        );
      }
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
      expect(await compareCounters(expected, generations.store(3).documents)).toEqual([]);
      await generations.store(3).drop();
      await events.close();
    });
  },
);
