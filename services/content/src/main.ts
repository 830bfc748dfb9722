import { eventStoreLocation, openEventStoreFromEnv } from '@gram/event-store';
import { jwksAccessTokenVerifier } from '@gram/service-kit';
import { buildContentApp } from './app.js';

// The content service on its own (distributed mode). JWKS_URL is identity's
// `/.well-known/jwks.json`: tokens are verified with identity's public keys, never minted here.
const jwksUrl = process.env.JWKS_URL;
if (!jwksUrl) throw new Error('JWKS_URL must name identity /.well-known/jwks.json');

const store = openEventStoreFromEnv(process.env);
const app = buildContentApp({
  store,
  verifier: jwksAccessTokenVerifier(new URL(jwksUrl)),
  logger: { level: process.env.LOG_LEVEL ?? 'info' },
});
app.log.info({ eventStore: eventStoreLocation(process.env).kind }, 'content: event store opened');

async function shutdown(signal: string) {
  app.log.info({ signal }, 'content: shutting down');
  await app.close();
  await store.close();
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));

await app.listen({ port: Number(process.env.PORT ?? 4002), host: process.env.HOST ?? '0.0.0.0' });
