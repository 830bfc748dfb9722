import { brokersFromEnv, createKafka, KafkaSubscriber } from '@gram/messaging';
import { DataKeys, identityDataKeys } from '@gram/personal-data';
import {
  closeOnSignals,
  internalCredentialHeaders,
  internalSecretFromEnv,
  jwksAccessTokenVerifier,
  prettyOnTerminal,
} from '@gram/service-kit';
import { Redis } from 'ioredis';
import { MongoClient, MongoNetworkError, MongoServerSelectionError } from 'mongodb';
import { buildNotificationsApp } from './app.js';
import { InProcessNotificationChanges } from './changes.js';
import { notificationsConsumer } from './consumer.js';
import { NotificationProjector } from './read-model/projector.js';
import { NotificationQueries } from './read-model/queries.js';
import { mongoNotificationStore } from './store/mongo.js';
import { RedisNotificationChanges } from './stream/redis-changes.js';
import { memoryStreamTickets, redisStreamTickets } from './stream/tickets.js';

// The notifications service of the distributed mode: a consumer of the event topics (KAFKA_BROKERS) as the group
// NOTIFICATIONS_GROUP_ID (default `notifications`; its members share the partitions), keeping each account's
// notifications in MongoDB (MONGO_URL, MONGO_DB default `gram`), and their HTTP API (PORT, default 4006).
// JWKS_URL: identity's keys, to verify access tokens; IDENTITY_URL (default its origin): where the accounts'
// data keys are asked for (names and texts travel encrypted). INTERNAL_SERVICE_SECRET (required, at least 32
// bytes): only calls carrying it are served, `/health` aside. LOG_LEVEL (default info). REDIS_URL: where the
// instances of the service tell each other the changes their streams send (Pub/Sub) and keep stream tickets;
// without it, one instance alone serves streams (changes and tickets in this process). The consumer applies a Kafka
// batch at a time, its streams side by side (NOTIFICATIONS_CONCURRENCY, default 32), several partitions at once
// (PARTITIONS_CONCURRENTLY, default 3).
const internalSecret = internalSecretFromEnv(process.env);
const jwksUrl = process.env.JWKS_URL;
if (!jwksUrl) throw new Error('JWKS_URL is not set (identity /.well-known/jwks.json)');
const mongoUrl = process.env.MONGO_URL;
if (!mongoUrl) throw new Error('MONGO_URL is not set');
const identityUrl = process.env.IDENTITY_URL || new URL(jwksUrl).origin;
const dataKeys = new DataKeys(identityDataKeys(identityUrl, internalCredentialHeaders(internalSecret)));

const mongo = await MongoClient.connect(mongoUrl);
const store = await mongoNotificationStore(mongo.db(process.env.MONGO_DB ?? 'gram'));
const redisUrl = process.env.REDIS_URL;
const redis = redisUrl ? new Redis(redisUrl, { maxRetriesPerRequest: 1 }) : undefined;
// A Redis command failing meanwhile fails its request (a ticket) or loses a change a resume recovers.
redis?.on('error', () => {});
const changes = redis
  ? new RedisNotificationChanges(
      redis,
      redis.duplicate().on('error', () => {}),
    )
  : new InProcessNotificationChanges();
const tickets = redis ? redisStreamTickets(redis) : memoryStreamTickets();
const subscriber = new KafkaSubscriber({
  kafka: createKafka({ brokers: brokersFromEnv(), clientId: 'notifications' }),
  // One shutdown path: closeOnSignals closes the app, whose onClose stops the consumer before MongoDB.
  shutdownSignals: [],
  partitionsConsumedConcurrently: Number(process.env.PARTITIONS_CONCURRENTLY ?? 3),
});
const app = buildNotificationsApp({
  queries: new NotificationQueries(store, changes),
  verifier: jwksAccessTokenVerifier(new URL(jwksUrl), { headers: internalCredentialHeaders(internalSecret) }),
  stream: { feed: changes, tickets },
  internalSecret,
  logger: prettyOnTerminal({ level: process.env.LOG_LEVEL ?? 'info', redact: ['req.headers.authorization'] }),
});
app.addHook('onClose', async () => {
  await subscriber.stop();
  await mongo.close();
  if (changes instanceof RedisNotificationChanges) await changes.close();
  await redis?.quit();
});
closeOnSignals(app);

await subscriber.subscribe(
  notificationsConsumer({
    projector: new NotificationProjector(store, changes),
    dataKeys,
    groupId: process.env.NOTIFICATIONS_GROUP_ID || 'notifications',
    concurrency: Number(process.env.NOTIFICATIONS_CONCURRENCY ?? 32),
    // MongoDB unreachable: the partition waits for it rather than dead-lettering.
    isTransient: (error) => error instanceof MongoNetworkError || error instanceof MongoServerSelectionError,
  }),
);
await app.listen({ port: Number(process.env.PORT ?? 4006), host: process.env.HOST ?? '0.0.0.0' });
