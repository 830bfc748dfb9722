import { eventStoreLocation, openEventStoreFromEnv } from '@gram/event-store';
import { buildIdentityApp } from './app.js';
import { KeyStore } from './keys/key-store.js';

// Standalone identity: DATA_DIR / EVENT_STORE_URL choose the event store; IDENTITY_SIGNING_KEY and
// IDENTITY_SIGNING_KID give the signing key (distributed mode), otherwise it is kept in DATA_DIR.
const dataDir = process.env.DATA_DIR || './data';
const store = openEventStoreFromEnv(process.env);
const keys = await KeyStore.forEnvironment(dataDir);
const app = await buildIdentityApp({
  store,
  keys,
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
