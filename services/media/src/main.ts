import { eventStoreLocation, openEventStoreFromEnv } from '@gram/event-store';
import {
  closeOnSignals,
  internalCredentialHeaders,
  internalSecretFromEnv,
  jwksAccessTokenVerifier,
  openIdempotencyStoreFromEnv,
  prettyOnTerminal,
  verifiedTokens,
} from '@gram/service-kit';
import { buildMediaApp } from './app.js';
import { openMediaStorageFromEnv } from './storage/storage-from-env.js';

// Memory: start this process with MALLOC_ARENA_MAX=1 (package.json `start` does). glibc gives each thread
// that allocates its own malloc arena, and the libvips threads that decode uploads leave them fragmented:
// with the bench's 8 concurrent 3 MB uploads the peak RSS was 330-350 MB with glibc's default, 255-300 MB
// with 2 arenas and 237-243 MB with one, at the same CPU per upload (sharp's docs advise the same, or
// jemalloc). It must be set before the process starts; any process embedding mediaRoutes (the embedded mode,
// apps/embedded) and the container (docker-compose.yml) need it too.
// MEDIA_MAX_UPLOADS_IN_FLIGHT: uploads in progress at once before more are refused with 503, a quarter of them
// (at least one) per account before its next is refused with 429 (see routes.ts).
// MEDIA_PROCESSING_CONCURRENCY: uploads decoded at once (default: one per core; see image-processing.ts).

// Standalone (distributed mode): tokens are verified with identity's public keys fetched from its
// JWKS endpoint; identity listens on 4001 by default.
// INTERNAL_SERVICE_SECRET (required, at least 32 bytes): only calls carrying it are served, `/health` aside
// (packages/service-kit/src/internal-credential.ts). It is also sent with the JWKS requests: identity asks it of
// every caller.
// REDIS_URL: where the answers to requests sent with an Idempotency-Key are kept, shared by every replica;
// without it `idempotency.sqlite` under DATA_DIR (service-kit's openIdempotencyStoreFromEnv).
const internalSecret = internalSecretFromEnv(process.env);
const port = Number(process.env.PORT ?? 4005);
const host = process.env.HOST ?? '0.0.0.0';
const jwksUrl = new URL(process.env.JWKS_URL ?? 'http://127.0.0.1:4001/.well-known/jwks.json');
const publicUrl = process.env.MEDIA_PUBLIC_URL ?? `http://localhost:${port}`;

const store = openEventStoreFromEnv(process.env);
const storage = await openMediaStorageFromEnv(process.env);
const idempotency = openIdempotencyStoreFromEnv(process.env);
const app = buildMediaApp({
  store,
  storage,
  publicUrl,
  verifier: verifiedTokens(
    jwksAccessTokenVerifier(jwksUrl, { headers: internalCredentialHeaders(internalSecret) }),
  ),
  internalSecret,
  idempotency,
  logger: prettyOnTerminal({ level: process.env.LOG_LEVEL ?? 'info' }),
});
app.addHook('onClose', async () => {
  await Promise.all([store.close(), idempotency.close()]);
});

closeOnSignals(app);

const location = eventStoreLocation(process.env);
await app.listen({ port, host });
app.log.info(
  {
    eventStore: location.kind === 'sqlite' ? location.path : 'kurrentdb',
    storage: storage.description,
    idempotencyKeys: idempotency.location,
    publicUrl,
    jwks: jwksUrl.href,
  },
  'media ready',
);
