import { eventStoreLocation, openEventStoreFromEnv } from '@gram/event-store';
import { jwksAccessTokenVerifier } from '@gram/service-kit';
import { buildMediaApp } from './app.js';
import { openMediaStorageFromEnv } from './storage/storage-from-env.js';

// Standalone (distributed mode): tokens are verified with identity's public keys fetched from its
// JWKS endpoint; identity listens on 4001 by default.
const port = Number(process.env.PORT ?? 4005);
const host = process.env.HOST ?? '0.0.0.0';
const jwksUrl = new URL(process.env.JWKS_URL ?? 'http://127.0.0.1:4001/.well-known/jwks.json');
const publicUrl = process.env.MEDIA_PUBLIC_URL ?? `http://localhost:${port}`;

const store = openEventStoreFromEnv(process.env);
const storage = await openMediaStorageFromEnv(process.env);
const app = buildMediaApp({
  store,
  storage,
  publicUrl,
  verifier: jwksAccessTokenVerifier(jwksUrl),
  logger: { level: process.env.LOG_LEVEL ?? 'info' },
});
app.addHook('onClose', async () => {
  await store.close();
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    app.log.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}

const location = eventStoreLocation(process.env);
await app.listen({ port, host });
app.log.info(
  {
    eventStore: location.kind === 'sqlite' ? location.path : 'kurrentdb',
    storage: storage.description,
    publicUrl,
    jwks: jwksUrl.href,
  },
  'media ready',
);
