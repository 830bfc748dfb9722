import { join } from 'node:path';
import { eventStoreLocation, openEventStoreFromEnv } from '@gram/event-store';
import { personalDataKeysFromEnv } from '@gram/personal-data';
import {
  internalCredentialHeaders,
  internalSecretFromEnv,
  openIdempotencyStoreFromEnv,
  prettyOnTerminal,
} from '@gram/service-kit';
import { Redis } from 'ioredis';
import { buildIdentityApp } from './app.js';
import { httpAccountEraser } from './erasure/http-eraser.js';
import { httpFollowersOf, httpMediaFile } from './exports/archive/index.js';
import { diskExportStorage } from './exports/export-storage.js';
import { defaultExportLeaseMs } from './exports/jobs.js';
import { KeyStore } from './keys/key-store.js';
import { AccessLimits, accessLimitsFromEnv } from './limits/access-limits.js';

// Standalone identity: DATA_DIR / EVENT_STORE_URL choose the event store; IDENTITY_SIGNING_KEY and
// IDENTITY_SIGNING_KID give the signing key (distributed mode), otherwise it is kept in DATA_DIR.
//   REDIS_URL                   the login and signup counters, shared by every identity replica; without it
//                               they are counted in this process's memory (one replica only)
//   LOGIN_FAILURES_PER_LOGIN    failed logins of one account from one client address per 15 minutes (default 5)
//   LOGIN_FAILURES_PER_ACCOUNT  failed logins of one account from all addresses per 15 minutes, after which it
//                               opens only to addresses it logged in from in 14 days (default 20)
//   LOGIN_FAILURES_PER_IP       failed logins from one client address per hour (default 50)
//   SIGNUPS_PER_IP              signups from one client address per hour (default 20)
// INTERNAL_SERVICE_SECRET (required, at least 32 bytes): only calls carrying it are served, `/health` aside
// (packages/service-kit/src/internal-credential.ts): its login, JWKS and token introspection answer the gateway
// and the services, never a client that found the port.
//   (REDIS_URL also keeps the answers to signups sent with an Idempotency-Key, shared by every replica; without
//   it they are kept in `idempotency.sqlite` under DATA_DIR: service-kit's openIdempotencyStoreFromEnv)
// PERSONAL_DATA_MASTER_KEY (32 bytes, base64) wraps the accounts' data keys, which encrypt their contact data and
// password hashes; without it one is made in DATA_DIR. The data keys are kept in `keys.sqlite` under DATA_DIR, or
// in identity's own Redis at PERSONAL_DATA_KEYS_REDIS_URL (AOF only: packages/personal-data/src/redis-data-key-store.ts),
// which every replica shares.
// MEDIA_URL (default http://127.0.0.1:4005): the media service, which erases an account's uploaded files when it is
// deleted, before the deletion answers (DELETE /internal/v1/users/:userId/media, with the internal credential).
// DEFAULT_PROFILE_PIC: the profile picture of an account that set none. LOG_LEVEL (default info).
// Exports ("download your data"): archives are kept under DATA_DIR/exports until they expire. Several identity
// replicas must share that directory (one volume mounted by all), or keep them in S3 through another
// ExportStorage (exports/export-storage.ts): a download reaches any replica.
//   EXPORTS_PUBLIC_URL   scheme and host of the download links, the gateway's (default http://localhost:8080)
//   PROJECTIONS_URL      the query service, for the followers in an archive (default http://127.0.0.1:4004)
//                        and, at any time, to drop a deleted account from search
//   MEDIA_URL            (above) also gives the uploaded photos of an archive
//   EXPORT_CONCURRENCY   archives built at once by this process (default 1)
//   EXPORT_LEASE_MS      how long a build may run before another replica takes it over (default 15 minutes)
const internalSecret = internalSecretFromEnv(process.env);
const dataDir = process.env.DATA_DIR || './data';
const store = openEventStoreFromEnv(process.env);
const keys = await KeyStore.forEnvironment(dataDir);
const dataKeys = personalDataKeysFromEnv(process.env, dataDir);
// Commands fail at once while Redis is unreachable (no offline queue): the counters then count in
// memory for the while, and no login waits on Redis.
const redis = process.env.REDIS_URL
  ? new Redis(process.env.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
  : undefined;
const settings = accessLimitsFromEnv(process.env);
const idempotency = openIdempotencyStoreFromEnv(process.env);
const internalHeaders = internalCredentialHeaders(internalSecret);
const mediaUrl = process.env.MEDIA_URL || 'http://127.0.0.1:4005';
const app = await buildIdentityApp({
  store,
  keys,
  dataKeys,
  limits: redis ? AccessLimits.inRedis(redis, settings) : AccessLimits.inMemory(settings),
  internalSecret,
  idempotency,
  erasers: [
    httpAccountEraser(
      'media files',
      (accountId) => new URL(`/internal/v1/users/${encodeURIComponent(accountId)}/media`, mediaUrl),
      internalHeaders,
    ),
    // The account leaves search (projections' read models) before the deletion answers.
    httpAccountEraser(
      'search',
      (accountId) =>
        new URL(
          `/internal/v1/users/${encodeURIComponent(accountId)}/search`,
          process.env.PROJECTIONS_URL || 'http://127.0.0.1:4004',
        ),
      internalHeaders,
    ),
  ],
  logger: prettyOnTerminal({ level: process.env.LOG_LEVEL ?? 'info', redact: ['req.headers.authorization'] }),
  settings: process.env.DEFAULT_PROFILE_PIC ? { defaultProfilePic: process.env.DEFAULT_PROFILE_PIC } : {},
  exports: {
    storage: diskExportStorage(join(dataDir, 'exports')),
    sources: {
      followersOf: httpFollowersOf(
        new URL(process.env.PROJECTIONS_URL || 'http://127.0.0.1:4004'),
        internalHeaders,
      ),
      mediaFile: httpMediaFile(new URL(mediaUrl), internalHeaders),
    },
    publicUrl: process.env.EXPORTS_PUBLIC_URL || 'http://localhost:8080',
    concurrency: Number(process.env.EXPORT_CONCURRENCY || 1),
    leaseMs: Number(process.env.EXPORT_LEASE_MS || defaultExportLeaseMs),
  },
});
app.log.info(
  {
    eventStore: eventStoreLocation(process.env).kind,
    kid: keys.signingKey.kid,
    accessLimits: redis ? 'redis' : 'memory',
    idempotencyKeys: idempotency.location,
    media: mediaUrl,
  },
  'identity starting',
);

redis?.on('error', (error) => app.log.warn({ err: error }, 'redis: login limits count in memory meanwhile'));

const shutdown = async () => {
  await app.close();
  await Promise.all([store.close(), idempotency.close()]);
  redis?.disconnect();
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);

await app.listen({ port: Number(process.env.PORT ?? 4001), host: process.env.HOST ?? '0.0.0.0' });
