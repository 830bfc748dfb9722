import { eventStoreLocation, openEventStoreFromEnv } from '@gram/event-store';
import { brokersFromEnv, createKafka, KafkaSubscriber } from '@gram/messaging';
import { DataKeys, identityDataKeys } from '@gram/personal-data';
import {
  closeOnSignals,
  internalCredentialHeaders,
  internalSecretFromEnv,
  jwksAccessTokenVerifier,
  prettyOnTerminal,
  verifiedTokens,
} from '@gram/service-kit';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { buildProjectionsApp, fixedReadModels, type ReadModels } from './app.js';
import { AppliedPositions } from './runtime/applied-positions.js';
import { projectorOptionsFromEnv } from './runtime/config.js';
import { ProjectionMetrics } from './runtime/metrics.js';
import { startEmbeddedProjections, subscribeProjections } from './runtime/workers.js';
import { Generations } from './store/generations.js';

// Distributed when MONGO_URL is set: read models in MongoDB + Redis, fed from Kafka (KAFKA_BROKERS).
// Embedded otherwise: read models in memory, rebuilt from the event store at start, fed by the in-process relay.
// PROJECTIONS_GROUP_ID (default `projections`) names the Kafka consumer group: workers of one set of read
// models share it. PARTITIONS_CONCURRENTLY (default 8) and PROJECTION_CONCURRENCY (default 32 streams per batch)
// bound how much a worker applies side by side; KAFKA_SESSION_TIMEOUT_MS (default 10 s) how long a killed
// worker's partitions wait before moving; MONGO_POOL_SIZE (default 16) its MongoDB operations at once.
// IDENTITY_URL (default: the origin of JWKS_URL) is where the accounts' data keys are asked for. LOG_LEVEL
// (default info).
// INTERNAL_SERVICE_SECRET (required, at least 32 bytes): only calls carrying it are served, `/health` aside
// (packages/service-kit/src/internal-credential.ts). Required in both cases: either way the gateway calls this
// process over HTTP. It is also sent with the JWKS requests: identity asks it of every caller.
const internalSecret = internalSecretFromEnv(process.env);
const jwksUrl = process.env.JWKS_URL;
if (!jwksUrl) throw new Error('JWKS_URL is not set (identity /.well-known/jwks.json)');
// The personal fields of events travel encrypted: their keys are asked of identity (IDENTITY_URL, by default
// the service serving JWKS_URL), kept a minute, never stored.
const identityUrl = process.env.IDENTITY_URL || new URL(jwksUrl).origin;
const options = {
  ...projectorOptionsFromEnv(),
  dataKeys: new DataKeys(identityDataKeys(identityUrl, internalCredentialHeaders(internalSecret))),
};

const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'gram_projections_' });
const metrics = new ProjectionMetrics(registry);
let readModels: ReadModels;
let applied: AppliedPositions;
const closers: (() => Promise<unknown>)[] = [];
if (process.env.MONGO_URL) {
  // At most MONGO_POOL_SIZE (default 16) operations at once: FerretDB 1.24 holds two of its 100 SQLite
  // connections while it updates a document (the read's, kept open until the command ends, and the write's), so
  // a few workers each sending hundreds of writes at once would wait on each other for ever; MongoDB queues them.
  const mongo = await MongoClient.connect(process.env.MONGO_URL, {
    maxPoolSize: Number(process.env.MONGO_POOL_SIZE ?? 16),
  });
  // Auto-pipelining: the commands the streams of a batch send in one tick of the event loop go out in one socket
  // write. A socket write per command was the largest single item of a worker's CPU profile under
  // bench/live.bench.ts (13% of its samples; 9.5% with auto-pipelining).
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableAutoPipelining: true });
  const generations = new Generations(mongo.db(process.env.MONGO_DB ?? 'gram'), redis, options.feedCap);
  readModels = await generations.follow();
  const subscriber = new KafkaSubscriber({
    kafka: createKafka({ brokers: brokersFromEnv(), clientId: 'projections' }),
    // Every partition this worker holds at once: each applies its batches with its streams side by side.
    partitionsConsumedConcurrently: Number(process.env.PARTITIONS_CONCURRENTLY ?? 8),
    // A worker killed without leaving the group holds its partitions until the coordinator declares it dead:
    // 10 s rather than kafkajs's 30, so that the others take over within the read side's lag budget.
    sessionTimeoutMs: Number(process.env.KAFKA_SESSION_TIMEOUT_MS ?? 10_000),
    heartbeatIntervalMs: 1_000,
  });
  applied = new AppliedPositions();
  await subscribeProjections(subscriber, readModels, {
    ...options,
    applied,
    metrics,
    groupId: process.env.PROJECTIONS_GROUP_ID || 'projections',
  });
  // On SIGTERM: leave the consumer group (offsets of finished work committed), then close the clients.
  closers.push(
    () => subscriber.stop(),
    () => mongo.close(),
    () => redis.quit(),
  );
} else {
  console.info('projections: embedded mode, event store', eventStoreLocation(process.env));
  const projections = await startEmbeddedProjections(openEventStoreFromEnv(), { ...options, metrics });
  readModels = fixedReadModels(projections.store);
  applied = projections.applied;
  closers.push(() => projections.stop());
}

const app = buildProjectionsApp({
  readModels,
  verifier: verifiedTokens(
    jwksAccessTokenVerifier(new URL(jwksUrl), { headers: internalCredentialHeaders(internalSecret) }),
  ),
  internalSecret,
  logger: prettyOnTerminal({ level: process.env.LOG_LEVEL ?? 'info', redact: ['req.headers.authorization'] }),
  applied,
  registry,
});
app.addHook('onClose', async () => {
  for (const close of closers) await close();
});
closeOnSignals(app);
await app.listen({ port: Number(process.env.PORT ?? 4004), host: process.env.HOST ?? '0.0.0.0' });
