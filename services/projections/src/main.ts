import { eventStoreLocation, openEventStoreFromEnv } from '@gram/event-store';
import { brokersFromEnv, createKafka, KafkaSubscriber } from '@gram/messaging';
import { jwksAccessTokenVerifier } from '@gram/service-kit';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { buildProjectionsApp, fixedReadModels, type ReadModels } from './app.js';
import { Generations } from './read-model/generations.js';
import { projectorOptionsFromEnv } from './runtime/config.js';
import { startEmbeddedProjections, subscribeProjections } from './runtime/workers.js';

// Distributed when MONGO_URL is set: read models in MongoDB + Redis, fed from Kafka (KAFKA_BROKERS).
// Embedded otherwise: read models in memory, rebuilt from the event store at start, fed by the in-process relay.
const options = projectorOptionsFromEnv();
const jwksUrl = process.env.JWKS_URL;
if (!jwksUrl) throw new Error('JWKS_URL is not set (identity /.well-known/jwks.json)');

let readModels: ReadModels;
if (process.env.MONGO_URL) {
  const mongo = await MongoClient.connect(process.env.MONGO_URL);
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const generations = new Generations(mongo.db(process.env.MONGO_DB ?? 'gram'), redis, options.feedCap);
  readModels = await generations.follow();
  const subscriber = new KafkaSubscriber({
    kafka: createKafka({ brokers: brokersFromEnv(), clientId: 'projections' }),
  });
  await subscribeProjections(subscriber, readModels, options);
} else {
  console.info('projections: embedded mode, event store', eventStoreLocation(process.env));
  const projections = await startEmbeddedProjections(openEventStoreFromEnv(), options);
  readModels = fixedReadModels(projections.store);
}

const app = buildProjectionsApp({
  readModels,
  verifier: jwksAccessTokenVerifier(new URL(jwksUrl)),
  logger: true,
});
await app.listen({ port: Number(process.env.PORT ?? 4004), host: process.env.HOST ?? '0.0.0.0' });
