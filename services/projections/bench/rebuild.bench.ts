import { openSqliteEventStore } from '@gram/event-store';
import { startTestServers } from '@gram/test-servers';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { Generations } from '../src/read-model/generations.js';
import { progressBar } from '../src/rebuild/progress.js';
import { rebuildGeneration, rebuildInMemory } from '../src/rebuild/rebuild.js';
import { generateHistory } from '../test/history.js';

// pnpm --filter @gram/projections bench:rebuild — rebuild throughput for the history: 1,000 users,
// 10,000 follows, 20,000 posts, 100,000 likes, 20,000 comments (plus the edits, deletions and replies the
// generator mixes in). Uses MONGO_URL/REDIS_URL when set, else starts local Redis and FerretDB.
const scale = Number(process.env.BENCH_SCALE ?? 1);
const history = generateHistory({
  users: 1_000 * scale,
  follows: 10_000 * scale,
  posts: 20_000 * scale,
  likes: 100_000 * scale,
  comments: 20_000 * scale,
  deletedUsers: 10,
});
const events = openSqliteEventStore({ path: ':memory:' });
for (let i = 0; i < history.length; i += 1) {
  const e = history[i] as (typeof history)[number];
  await events.appendToStream(e.streamId, [{ id: e.id, type: e.type, data: e.data, metadata: e.metadata }], {
    expectedRevision: 'any',
  });
}
console.info(`history: ${history.length} events`);

const memoryStart = performance.now();
await rebuildInMemory(events);
const memorySeconds = (performance.now() - memoryStart) / 1000;
console.info(
  `rebuild into memory: ${Math.round(history.length / memorySeconds)} events/s (${memorySeconds.toFixed(2)}s)`,
);

const servers = process.env.MONGO_URL ? undefined : await startTestServers(['redis', 'mongo']);
const mongo = await MongoClient.connect(process.env.MONGO_URL ?? (servers?.mongo?.url as string));
const redis = new Redis(process.env.REDIS_URL ?? (servers?.redis?.url as string));
try {
  const generations = new Generations(mongo.db(`bench_${Date.now()}`), redis);
  const bar = progressBar('rebuild', history.length);
  const result = await rebuildGeneration({ events, generations, graceMs: 0, onProgress: bar.update });
  bar.done(result.events);
  console.info(
    `rebuild into MongoDB+Redis: ${Math.round(result.events / result.seconds)} events/s (${result.seconds.toFixed(2)}s, ` +
      'fold in memory + bulk insert + catch-up + switch)',
  );
  await generations.store(result.generation).drop();
} finally {
  await mongo.close();
  redis.disconnect();
  await events.close();
  await servers?.stop();
}
