import { openSqliteEventStore } from '@gram/event-store';
import { personalFields } from '@gram/events';
import { DataKeys, inMemoryDataKeys, personalDataEventStore } from '@gram/personal-data';
import { startTestServers } from '@gram/test-servers';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { type RebuildResult, rebuildGeneration, rebuildInMemory } from '../src/rebuild/rebuild.js';
import { Generations } from '../src/store/generations.js';
import { generateHistory } from '../test/history.js';
import { report } from './report.js';

// pnpm --filter @gram/projections bench rebuild [--save-baseline] — rebuild throughput for the history:
// 1,000 users, 10,000 follows, 20,000 posts, 100,000 likes, 20,000 comments (plus the edits, deletions and
// replies the generator mixes in), read from a SQLite event store. Uses MONGO_URL/REDIS_URL when set, else
// starts local Redis and FerretDB. The figures are wall-clock: on a busy machine they drop with its load.
const scale = Number(process.env.BENCH_SCALE ?? 1);
const events = openSqliteEventStore({ path: ':memory:' });
// The same history as identity writes it today: the personal fields the catalogue declares (the profiles')
// encrypted under each account's data key; its rebuild decrypts them.
const keys = inMemoryDataKeys();
const encryptedEvents = openSqliteEventStore({ path: ':memory:' });
const encrypting = personalDataEventStore(encryptedEvents, keys, personalFields);
/** Appends the generated history and answers its length: the history itself (some 80 MB of objects) is left
 * to the garbage collector before the folds, which would otherwise mark it again and again. */
async function appendHistory(): Promise<number> {
  const history = generateHistory({
    users: 1_000 * scale,
    follows: 10_000 * scale,
    posts: 20_000 * scale,
    likes: 100_000 * scale,
    comments: 20_000 * scale,
    deletedUsers: 10,
  });
  for (const e of history) {
    for (const store of [events, encrypting]) {
      await store.appendToStream(
        e.streamId,
        [{ id: e.id, type: e.type, data: e.data, metadata: e.metadata }],
        { expectedRevision: 'any' },
      );
    }
  }
  return history.length;
}
const historyLength = await appendHistory();
console.info(`history: ${historyLength} events`);

// The best of five folds of each log: the first also warms the JIT up. Five rather than three: on two cores the
// decrypting fold shares the second core between its decryption thread and the garbage collector's, and the
// ratio of the best of three moved by ±0.05 between runs of the same code.
// CPU seconds (this process, GC threads included) are reported too: they say less about a busy machine's load.
// The plaintext and the encrypted log in turn, so both see the same moments of the machine's load.
let memorySeconds = Number.POSITIVE_INFINITY;
let memoryCpuSeconds = Number.POSITIVE_INFINITY;
let decryptingSeconds = Number.POSITIVE_INFINITY;
for (let run = 0; run < 5; run++) {
  const started = performance.now();
  const cpu = process.cpuUsage();
  await rebuildInMemory(events);
  const used = process.cpuUsage(cpu);
  memorySeconds = Math.min(memorySeconds, (performance.now() - started) / 1000);
  memoryCpuSeconds = Math.min(memoryCpuSeconds, (used.user + used.system) / 1e6);
  const decryptingStarted = performance.now();
  await rebuildInMemory(encryptedEvents, { dataKeys: new DataKeys((accountId) => keys.get(accountId)) });
  decryptingSeconds = Math.min(decryptingSeconds, (performance.now() - decryptingStarted) / 1000);
}

const servers = process.env.MONGO_URL ? undefined : await startTestServers(['redis', 'mongo']);
const mongo = await MongoClient.connect(process.env.MONGO_URL ?? (servers?.mongo?.url as string));
const redis = new Redis(process.env.REDIS_URL ?? (servers?.redis?.url as string));
let distributed: RebuildResult;
try {
  const generations = new Generations(mongo.db(`bench_${Date.now()}`), redis);
  distributed = await rebuildGeneration({ events, generations, graceMs: 0 });
  await generations.store(distributed.generation).drop();
} finally {
  await mongo.close();
  redis.disconnect();
  await events.close();
  await servers?.stop();
}

const ok = report('rebuild', [
  {
    metric: 'rebuild into memory, events/s',
    now: historyLength / memorySeconds,
    better: 'higher',
    target: 100_000,
  },
  {
    metric: 'rebuild into memory, profiles encrypted (decrypted on the way), events/s',
    now: historyLength / decryptingSeconds,
    better: 'higher',
  },
  {
    metric: 'rebuild into memory, decrypting over plaintext (x)',
    now: memorySeconds / decryptingSeconds,
    better: 'higher',
    target: 0.9,
  },
  {
    metric: 'rebuild into memory, events per CPU-second',
    now: historyLength / memoryCpuSeconds,
    better: 'higher',
  },
  {
    metric: 'rebuild into MongoDB+Redis, events/s',
    now: distributed.events / distributed.seconds,
    better: 'higher',
    target: 20_000,
  },
]);
process.exitCode = ok ? 0 : 1;
