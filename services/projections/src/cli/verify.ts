import { openEventStoreFromEnv } from '@gram/event-store';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { readLog } from '../rebuild/rebuild.js';
import { Generations } from '../store/generations.js';
import { compareCounters, recountFromEvents } from '../verify/recount.js';

// pnpm read-models:verify, from the repository root: recounts every counter from the event store, compares it
// with the live generation of the read models, prints every difference and exits non-zero when there is one.
const events = openEventStoreFromEnv();
const mongo = await MongoClient.connect(process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017');
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
try {
  const generations = new Generations(mongo.db(process.env.MONGO_DB ?? 'gram'), redis);
  const generation = await generations.active();
  const expected = await recountFromEvents(readLog(events));
  const differences = await compareCounters(expected, generations.store(generation).documents);
  for (const d of differences) {
    console.info(
      `${d.collection}/${d.id} ${d.field}: read model ${d.actual ?? 'missing'}, event store ${d.expected}`,
    );
  }
  const checked = Object.values(expected).reduce((sum, counts) => sum + counts.size, 0);
  console.info(`generation ${generation}: ${checked} documents checked, ${differences.length} differences`);
  process.exitCode = differences.length > 0 ? 1 : 0;
} finally {
  await events.close();
  await mongo.close();
  redis.disconnect();
}
