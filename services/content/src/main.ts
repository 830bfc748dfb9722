import { eventStoreLocation, openEventStoreFromEnv } from '@gram/event-store';
import { DataKeys, identityDataKeys } from '@gram/personal-data';
import {
  internalCredentialHeaders,
  internalSecretFromEnv,
  jwksAccessTokenVerifier,
  openIdempotencyStoreFromEnv,
  prettyOnTerminal,
} from '@gram/service-kit';
import { buildContentApp } from './app.js';

// The content service on its own (distributed mode). JWKS_URL is identity's
// `/.well-known/jwks.json`: tokens are verified with identity's public keys, never minted here.
// INTERNAL_SERVICE_SECRET (required, at least 32 bytes): only calls carrying it are served, `/health` aside
// (packages/service-kit/src/internal-credential.ts). It is also sent with the JWKS requests: identity asks it of
// every caller.
// REDIS_URL: where the answers to requests sent with an Idempotency-Key are kept, shared by every replica;
// without it `idempotency.sqlite` under DATA_DIR (service-kit's openIdempotencyStoreFromEnv).
// IDENTITY_URL (default: the origin of JWKS_URL): where the accounts' data keys are asked for, to read an
// author's profile fields, which the log holds encrypted.
const internalSecret = internalSecretFromEnv(process.env);
const jwksUrl = process.env.JWKS_URL;
if (!jwksUrl) throw new Error('JWKS_URL must name identity /.well-known/jwks.json');
const identityUrl = process.env.IDENTITY_URL || new URL(jwksUrl).origin;

const store = openEventStoreFromEnv(process.env);
const idempotency = openIdempotencyStoreFromEnv(process.env);
const app = buildContentApp({
  store,
  verifier: jwksAccessTokenVerifier(new URL(jwksUrl), { headers: internalCredentialHeaders(internalSecret) }),
  internalSecret,
  idempotency,
  dataKeys: new DataKeys(identityDataKeys(identityUrl, internalCredentialHeaders(internalSecret))),
  logger: prettyOnTerminal({ level: process.env.LOG_LEVEL ?? 'info' }),
});
app.log.info(
  { eventStore: eventStoreLocation(process.env).kind, idempotencyKeys: idempotency.location },
  'content: event store opened',
);

async function shutdown(signal: string) {
  app.log.info({ signal }, 'content: shutting down');
  await app.close();
  await Promise.all([store.close(), idempotency.close()]);
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));

await app.listen({ port: Number(process.env.PORT ?? 4002), host: process.env.HOST ?? '0.0.0.0' });
