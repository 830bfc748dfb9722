import { eventStoreLocation, openEventStoreFromEnv } from '@gram/event-store';
import { brokersFromEnv, createKafka, KafkaSubscriber } from '@gram/messaging';
import {
  closeOnSignals,
  internalCredentialHeaders,
  internalSecretFromEnv,
  jwksAccessTokenVerifier,
  prettyOnTerminal,
  verifiedTokens,
} from '@gram/service-kit';
import { buildSocialGraphApp } from './app.js';
import { socialGraphReactions } from './reactions.js';

// Standalone (distributed mode): tokens are verified with identity's public keys fetched from its
// JWKS endpoint; identity listens on 4001 by default.
// INTERNAL_SERVICE_SECRET (required, at least 32 bytes): only calls carrying it are served, `/health` aside
// (packages/service-kit/src/internal-credential.ts). It is also sent with the JWKS requests: identity asks it of
// every caller.
// KAFKA_BROKERS (optional): the reactions (reactions.ts: what a block ends, completed after a crash) consume the
// event topics as the consumer group SOCIAL_GRAPH_GROUP_ID (default `social-graph-reactions`), whose members share
// the work. Without it nothing reacts: the block route still ends what a block ends before it answers.
const internalSecret = internalSecretFromEnv(process.env);
const port = Number(process.env.PORT ?? 4003);
const host = process.env.HOST ?? '0.0.0.0';
const jwksUrl = new URL(process.env.JWKS_URL ?? 'http://127.0.0.1:4001/.well-known/jwks.json');

const store = openEventStoreFromEnv(process.env);
const app = buildSocialGraphApp({
  store,
  verifier: verifiedTokens(
    jwksAccessTokenVerifier(jwksUrl, { headers: internalCredentialHeaders(internalSecret) }),
  ),
  internalSecret,
  logger: prettyOnTerminal({ level: process.env.LOG_LEVEL ?? 'info' }),
});
const subscriber = process.env.KAFKA_BROKERS
  ? new KafkaSubscriber({
      kafka: createKafka({ brokers: brokersFromEnv(), clientId: 'social-graph' }),
      // One shutdown path: closeOnSignals closes the app, whose onClose stops the consumer before the store.
      shutdownSignals: [],
    })
  : undefined;
app.addHook('onClose', async () => {
  await subscriber?.stop();
  await store.close();
});

closeOnSignals(app);

if (subscriber) {
  await subscriber.subscribe(
    socialGraphReactions({ store, groupId: process.env.SOCIAL_GRAPH_GROUP_ID || 'social-graph-reactions' }),
  );
}

const location = eventStoreLocation(process.env);
await app.listen({ port, host });
app.log.info(
  { eventStore: location.kind === 'sqlite' ? location.path : 'kurrentdb', jwks: jwksUrl.href },
  'social-graph ready',
);
