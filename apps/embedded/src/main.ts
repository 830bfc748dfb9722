import { join, resolve } from 'node:path';
import { openSqliteEventStore } from '@gram/event-store';
import { rateLimitsFromEnv, trustProxyFromEnv } from '@gram/gateway';
import { accessLimitsFromEnv, diskExportStorage, KeyStore } from '@gram/identity';
import { diskMediaStorage } from '@gram/media';
import { fileReactionCheckpoint } from '@gram/messaging';
import { openSqliteReadMarkings } from '@gram/notifications';
import { personalDataKeysFromEnv } from '@gram/personal-data';
import { openSqliteIdempotencyStore, prettyOnTerminal } from '@gram/service-kit';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { buildEmbeddedApp } from './embedded-app.js';

// The embedded mode: the whole system in this process, its durable state under DATA_DIR (the SQLite
// event store, identity's signing key, the answers to requests sent with an Idempotency-Key, the notifications'
// read markers). Nothing else to install or start.
// PORT (8080), HOST, MEDIA_PUBLIC_URL, EXPORTS_PUBLIC_URL (the origin of export download links: MEDIA_PUBLIC_URL's
// unless given), DEFAULT_PROFILE_PIC, LOG_LEVEL; the limits, counted in memory: the
// gateway's WRITES_PER_USER_PER_MINUTE (services/gateway/src/main.ts) and identity's LOGIN_FAILURES_PER_LOGIN,
// LOGIN_FAILURES_PER_ACCOUNT, LOGIN_FAILURES_PER_IP and SIGNUPS_PER_IP (services/identity/src/main.ts).
// A relative DATA_DIR is taken from where `npm start` was run (INIT_CWD), not from this package's directory.
const dataDir = resolve(process.env.INIT_CWD ?? process.cwd(), process.env.DATA_DIR || 'data');
const port = Number(process.env.PORT ?? 8080);
// Both kinds of link reach this one process: media files and export archives share its public origin.
const publicUrl = process.env.MEDIA_PUBLIC_URL ?? `http://localhost:${port}`;
// The process is alone on its log, so its commits are made durable off the event loop (syncInBackground): with
// SQLite's own fsync at each COMMIT, a fifth of the process's time at 500 likes/s stood still waiting for the disk.
const store = openSqliteEventStore({ path: join(dataDir, 'events.sqlite'), syncInBackground: true });
const keys = await KeyStore.forEnvironment(dataDir);
// Contact data and password hashes are stored encrypted under each account's key, kept in keys.sqlite.
const dataKeys = personalDataKeysFromEnv(process.env, dataDir);
const idempotency = openSqliteIdempotencyStore({ path: join(dataDir, 'idempotency.sqlite') });
const readMarkings = openSqliteReadMarkings({ path: join(dataDir, 'notifications.sqlite') });
const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'gram_' });
const app = await buildEmbeddedApp({
  store,
  keys,
  dataKeys,
  registry,
  idempotency,
  reactionsCheckpoint: fileReactionCheckpoint(join(dataDir, 'reactions.checkpoint')),
  readMarkings,
  rateLimits: rateLimitsFromEnv(process.env),
  accessLimits: accessLimitsFromEnv(process.env),
  media: {
    storage: diskMediaStorage(join(dataDir, 'media')),
    publicUrl,
  },
  // Export archives in DATA_DIR/exports, until they expire (services/identity/src/exports).
  exports: {
    storage: diskExportStorage(join(dataDir, 'exports')),
    publicUrl: process.env.EXPORTS_PUBLIC_URL ?? publicUrl,
  },
  logger: prettyOnTerminal({ level: process.env.LOG_LEVEL ?? 'info', redact: ['req.headers.authorization'] }),
  trustProxy: trustProxyFromEnv(process.env.TRUST_PROXY),
  ...(process.env.DEFAULT_PROFILE_PIC
    ? { settings: { defaultProfilePic: process.env.DEFAULT_PROFILE_PIC } }
    : {}),
});

const shutdown = async () => {
  await app.close();
  await Promise.all([store.close(), idempotency.close()]);
  readMarkings.close();
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);

await app.listen({ port, host: process.env.HOST ?? '0.0.0.0' });
app.log.info(
  { dataDir },
  'embedded mode: identity, content, social-graph, media and projections in one process',
);
