import { openEventStoreFromEnv } from '@gram/event-store';
import { DataKeys, identityDataKeys } from '@gram/personal-data';
import { internalCredentialHeaders, internalSecretFromEnv } from '@gram/service-kit';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { progressBar } from '../rebuild/progress.js';
import { rebuildGeneration } from '../rebuild/rebuild.js';
import { projectorOptionsFromEnv } from '../runtime/config.js';
import { Generations } from '../store/generations.js';

// pnpm read-models:rebuild, from the repository root: replays the event store's global log into a fresh
// generation of collections and keys (MONGO_URL, MONGO_DB, REDIS_URL, EVENT_STORE_URL or DATA_DIR), switches the
// query API to it and drops the previous one. REBUILD_GRACE_MS (default 5000) is how long live workers and query
// processes get to move to the new generation before the last catch-up and the drop: keep it above the workers'
// staleness bound (2 s, twice their pointer poll) plus the time of one write.
// The personal fields the log holds encrypted are read with the accounts' keys, asked of identity as the workers
// ask them: IDENTITY_URL, with the internal credential INTERNAL_SERVICE_SECRET. Without IDENTITY_URL a log
// holding encrypted fields fails the rebuild at the first one (a read model never holds a ciphertext).
const events = openEventStoreFromEnv();
const mongo = await MongoClient.connect(process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017');
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const identityUrl = process.env.IDENTITY_URL;
const options = {
  ...projectorOptionsFromEnv(),
  ...(identityUrl
    ? {
        dataKeys: new DataKeys(
          identityDataKeys(identityUrl, internalCredentialHeaders(internalSecretFromEnv(process.env))),
        ),
      }
    : {}),
};
try {
  const bar = progressBar('rebuild', await events.headPosition());
  const result = await rebuildGeneration({
    events,
    generations: new Generations(mongo.db(process.env.MONGO_DB ?? 'gram'), redis, options.feedCap),
    projector: options,
    graceMs: Number(process.env.REBUILD_GRACE_MS ?? 5_000),
    onProgress: bar.update,
  });
  bar.done(result.events);
  console.info(
    `rebuilt generation ${result.generation} (was ${result.previous}) up to position ${result.position}: ` +
      `${result.events} events in ${result.seconds.toFixed(1)}s (${Math.round(result.events / result.seconds)} events/s)`,
  );
} finally {
  await events.close();
  await mongo.close();
  redis.disconnect();
}
