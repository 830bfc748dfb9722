import { eventStoreLocation, openEventStoreFromEnv } from '@gram/event-store';
import { internalSecretFromEnv } from '@gram/service-kit';
import { buildIdentityApp } from './app.js';
import { KeyStore } from './keys/key-store.js';

// Standalone identity: DATA_DIR / EVENT_STORE_URL choose the event store; IDENTITY_SIGNING_KEY and
// IDENTITY_SIGNING_KID give the signing key (distributed mode), otherwise it is kept in DATA_DIR.
// INTERNAL_SERVICE_SECRET (required, at least 32 bytes): only calls carrying it are served, `/health` aside
// (packages/service-kit/src/internal-credential.ts): its login, JWKS and token introspection answer the gateway
// and the services, never a client that found the port.
// DEFAULT_PROFILE_PIC: the profile picture of an account that set none. LOG_LEVEL (default info).
const internalSecret = internalSecretFromEnv(process.env);
const dataDir = process.env.DATA_DIR || './data';
const store = openEventStoreFromEnv(process.env);
const keys = await KeyStore.forEnvironment(dataDir);
const app = await buildIdentityApp({
  store,
  keys,
  internalSecret,
  logger: { level: process.env.LOG_LEVEL ?? 'info', redact: ['req.headers.authorization'] },
  settings: process.env.DEFAULT_PROFILE_PIC ? { defaultProfilePic: process.env.DEFAULT_PROFILE_PIC } : {},
});
app.log.info(
  { eventStore: eventStoreLocation(process.env).kind, kid: keys.signingKey.kid },
  'identity starting',
);

const shutdown = async () => {
  await app.close();
  await store.close();
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);

await app.listen({ port: Number(process.env.PORT ?? 4001), host: process.env.HOST ?? '0.0.0.0' });
