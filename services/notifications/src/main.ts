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
import { buildNotificationsApp } from './app.js';
import { isTransientConsumerError, notificationsConsumer } from './consumer.js';
import { NotificationMetrics } from './metrics.js';
import { NotificationProjector } from './read-model/projector.js';
import { NotificationQueries } from './read-model/queries.js';
import { distributedNotificationStore } from './store/distributed.js';
import { RedisNotificationChanges } from './stream/redis-changes.js';
import { redisStreamTickets } from './stream/tickets.js';

// The notifications service of the distributed mode: a consumer of the event topics (KAFKA_BROKERS) as the group
// NOTIFICATIONS_GROUP_ID (default `notifications`; its members share the partitions), keeping each account's
// notifications in Redis (REDIS_URL, under the MongoDB database's name) and its read marker in MongoDB (MONGO_URL,
// MONGO_DB default `gram`; see store/distributed.ts), and their HTTP API (PORT, default 4006).
// JWKS_URL: identity's keys, to verify access tokens; IDENTITY_URL (default its origin): where the accounts'
// data keys are asked for (names and texts travel encrypted). INTERNAL_SERVICE_SECRET (required, at least 32
// bytes): only calls carrying it are served, `/health` aside. LOG_LEVEL (default info). Redis is also where the
// instances of the service tell each other the changes their streams send (Pub/Sub) and keep stream tickets.
// The consumer applies a Kafka
// batch at a time, its streams side by side (NOTIFICATIONS_CONCURRENCY, default 256), several partitions at once
// (PARTITIONS_CONCURRENTLY, default 3). `/metrics` (with the credential): its lag from append to applied, in
// Prometheus text, which the gateway's `/metrics` includes.
const internalSecret = internalSecretFromEnv(process.env);
const jwksUrl = process.env.JWKS_URL;
if (!jwksUrl) throw new Error('JWKS_URL is not set (identity /.well-known/jwks.json)');
const mongoUrl = process.env.MONGO_URL;
if (!mongoUrl) throw new Error('MONGO_URL is not set');
const redisUrl = process.env.REDIS_URL;
if (!redisUrl) throw new Error('REDIS_URL is not set');
const identityUrl = process.env.IDENTITY_URL || new URL(jwksUrl).origin;
const dataKeys = new DataKeys(identityDataKeys(identityUrl, internalCredentialHeaders(internalSecret)));

const mongo = await MongoClient.connect(mongoUrl);
// The read model's connection: a command waits through a reconnection (its event is retried meanwhile, see
// isTransient below); the streams' own fail fast, their losses being recovered by a resume. Its commands are
// auto-pipelined: those of the notifications applied side by side in one turn go out in one socket write.
const storeRedis = new Redis(redisUrl, { enableAutoPipelining: true });
storeRedis.on('error', () => {});
const store = await distributedNotificationStore(mongo.db(process.env.MONGO_DB ?? 'gram'), storeRedis);
// Auto-pipelined too: the changes the consumer publishes, one for each notification it writes, go out with the
// others of their turn rather than in a socket write each.
const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, enableAutoPipelining: true });
// A Redis command failing meanwhile fails its request (a ticket) or loses a change a resume recovers.
redis.on('error', () => {});
const changes = new RedisNotificationChanges(
  redis,
  redis.duplicate({ enableAutoPipelining: false }).on('error', () => {}),
);
const tickets = redisStreamTickets(redis);
const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'gram_notifications_process_' });
const subscriber = new KafkaSubscriber({
  kafka: createKafka({ brokers: brokersFromEnv(), clientId: 'notifications' }),
  // One shutdown path: closeOnSignals closes the app, whose onClose stops the consumer before MongoDB.
  shutdownSignals: [],
  partitionsConsumedConcurrently: Number(process.env.PARTITIONS_CONCURRENTLY ?? 3),
});
const app = buildNotificationsApp({
  queries: new NotificationQueries(store, changes),
  verifier: verifiedTokens(
    jwksAccessTokenVerifier(new URL(jwksUrl), { headers: internalCredentialHeaders(internalSecret) }),
  ),
  stream: { feed: changes, tickets },
  internalSecret,
  registry,
  logger: prettyOnTerminal({ level: process.env.LOG_LEVEL ?? 'info', redact: ['req.headers.authorization'] }),
});
app.addHook('onClose', async () => {
  await subscriber.stop();
  await mongo.close();
  await storeRedis.quit();
  await changes.close();
  await redis.quit();
});
closeOnSignals(app);

await subscriber.subscribe(
  notificationsConsumer({
    projector: new NotificationProjector(store, changes),
    dataKeys,
    groupId: process.env.NOTIFICATIONS_GROUP_ID || 'notifications',
    ...(process.env.NOTIFICATIONS_CONCURRENCY
      ? { concurrency: Number(process.env.NOTIFICATIONS_CONCURRENCY) }
      : {}),
    isTransient: isTransientConsumerError,
    metrics: new NotificationMetrics(registry),
  }),
);
await app.listen({ port: Number(process.env.PORT ?? 4006), host: process.env.HOST ?? '0.0.0.0' });
