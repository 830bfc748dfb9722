import { eventStoreLocation, openEventStoreFromEnv } from '@gram/event-store';
import { brokersFromEnv, createKafka, KafkaSubscriber } from '@gram/messaging';
import { DataKeys, identityDataKeys } from '@gram/personal-data';
import {
  internalCredentialHeaders,
  internalSecretFromEnv,
  jwksAccessTokenVerifier,
  openIdempotencyStoreFromEnv,
  prettyOnTerminal,
  verifiedTokens,
} from '@gram/service-kit';
import { buildContentApp } from './app.js';
import { contentReactions } from './reactions.js';
import { httpMentionDirectory } from './texts/mention-directory.js';

// The content service on its own (distributed mode). JWKS_URL is identity's
// `/.well-known/jwks.json`: tokens are verified with identity's public keys, never minted here.
// INTERNAL_SERVICE_SECRET (required, at least 32 bytes): only calls carrying it are served, `/health` aside
// (packages/service-kit/src/internal-credential.ts). It is also sent with the JWKS requests: identity asks it of
// every caller.
// REDIS_URL: where the answers to requests sent with an Idempotency-Key are kept, shared by every replica;
// without it `idempotency.sqlite` under DATA_DIR (service-kit's openIdempotencyStoreFromEnv).
// IDENTITY_URL (default: the origin of JWKS_URL): where the accounts' data keys are asked for, to read an
// author's profile fields, which the log holds encrypted, and which userNames a text's mentions name as accounts.
// KAFKA_BROKERS: when set, content reacts to blocks (reactions.ts: a blocked account's likes, comments and replies
// under the blocker's posts are removed) as the Kafka consumer group CONTENT_GROUP_ID (default
// `content-reactions`), shared by content's replicas. The relay creates the topic it reads, so it runs first.
const internalSecret = internalSecretFromEnv(process.env);
const jwksUrl = process.env.JWKS_URL;
if (!jwksUrl) throw new Error('JWKS_URL must name identity /.well-known/jwks.json');
const identityUrl = process.env.IDENTITY_URL || new URL(jwksUrl).origin;

const store = openEventStoreFromEnv(process.env);
const idempotency = openIdempotencyStoreFromEnv(process.env);
const identityHeaders = internalCredentialHeaders(internalSecret);
const app = buildContentApp({
  store,
  verifier: verifiedTokens(jwksAccessTokenVerifier(new URL(jwksUrl), { headers: identityHeaders })),
  internalSecret,
  idempotency,
  dataKeys: new DataKeys(identityDataKeys(identityUrl, identityHeaders)),
  mentions: httpMentionDirectory(identityUrl, identityHeaders),
  logger: prettyOnTerminal({ level: process.env.LOG_LEVEL ?? 'info' }),
});
// The reactions append to the store as it is stored: they read no personal field and write none.
const reactions = process.env.KAFKA_BROKERS
  ? new KafkaSubscriber({
      kafka: createKafka({ brokers: brokersFromEnv(), clientId: 'content' }),
      // The shutdown below stops it before the store it appends to is closed.
      shutdownSignals: [],
    })
  : undefined;
await reactions?.subscribe(contentReactions({ store, groupId: process.env.CONTENT_GROUP_ID || undefined }));
app.log.info(
  { eventStore: eventStoreLocation(process.env).kind, idempotencyKeys: idempotency.location },
  'content: event store opened',
);

async function shutdown(signal: string) {
  app.log.info({ signal }, 'content: shutting down');
  await app.close();
  await reactions?.stop();
  await Promise.all([store.close(), idempotency.close()]);
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));

await app.listen({ port: Number(process.env.PORT ?? 4002), host: process.env.HOST ?? '0.0.0.0' });
