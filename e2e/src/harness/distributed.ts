import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { workerTopics } from '@gram/events';
import { KeyStore } from '@gram/identity';
import { createKafka, silentLogger } from '@gram/messaging';
import { ApiClient } from '../api/client.js';
import { assertPortFree, freePort } from './ports.js';
import { logPath, ServiceProcess, stopAll } from './service-process.js';

/** The real servers the distributed mode runs on (from packages/test-servers, or anywhere else). */
export interface DistributedServers {
  /** `host:port` each */
  kafkaBrokers: readonly string[];
  /** `mongodb://host:port/`: the run takes a database of its own in it */
  mongoUrl: string;
  redisUrl: string;
  /** S3-compatible storage for media; without it media keeps its files on disk under the run's directory */
  s3?: { url: string; accessKey: string; secretKey: string };
  /** `esdb://` / `kurrentdb://` of KurrentDB; without it every service shares one SQLite file */
  eventStoreUrl?: string;
}

export interface StartDistributedOptions {
  servers: DistributedServers;
  /** the run's own directory: the SQLite event store (DATA_DIR), media files without S3, `logs/<service>.log` */
  runDir: string;
  /** the gateway's port (default: a free one) */
  port?: number;
  /**
   * Names the run's state in the shared servers (MongoDB database, relay checkpoint topic, S3 bucket), so runs
   * against the same servers never see each other's. Default: random. Keep it across starts on the same runDir.
   */
  runId?: string;
  /** LOG_LEVEL of every service (default `warn`) */
  logLevel?: string;
  /**
   * Keep identity's signing key in `<runDir>/identity-signing-key.json` and reuse it on the next start, so
   * tokens outlive a restart (default: a fresh key per start, given to identity in IDENTITY_SIGNING_KEY).
   */
  persistSigningKey?: boolean;
  /** more environment for the gateway, e.g. its rate limits (see services/gateway/src/main.ts) */
  gatewayEnv?: Record<string, string>;
  /** more environment for identity, e.g. its login and signup limits (see services/identity/src/main.ts) */
  identityEnv?: Record<string, string>;
  /**
   * INTERNAL_SERVICE_SECRET of every process: each service answers only calls carrying it (the gateway's).
   * Default: a fresh random one per start.
   */
  internalSecret?: string;
  /**
   * How many instances of notifications to run (default 1). The gateway reaches the first (it takes one
   * NOTIFICATIONS_URL); the others are reached directly (`notificationsReplicas`). All of them are one Kafka
   * consumer group sharing the partitions and one Redis, through whose Pub/Sub each instance tells the others the
   * changes it applied, so a stream open on any instance hears them.
   */
  notificationsInstances?: number;
}

export const distributedServiceNames = [
  'identity',
  'content',
  'social-graph',
  'media',
  'relay',
  'projections',
  'notifications',
  'gateway',
] as const;
export type DistributedServiceName = (typeof distributedServiceNames)[number];

export interface DistributedSystem {
  readonly mode: 'distributed';
  /** the gateway, the one public door */
  readonly url: string;
  readonly runDir: string;
  readonly runId: string;
  readonly services: Readonly<Record<DistributedServiceName, ServiceProcess>>;
  /** the address each HTTP service listens on (the relay's is its metrics listener) */
  readonly urls: Readonly<Record<DistributedServiceName, string>>;
  /** the instances of notifications beside the gateway's (`notificationsInstances`), each reached directly */
  readonly notificationsReplicas: readonly { readonly url: string; readonly process: ServiceProcess }[];
  /** INTERNAL_SERVICE_SECRET, which every service asks of every call (see service-kit's internal-credential.ts) */
  readonly internalSecret: string;
  /** identity's signing key, as it was handed to identity in IDENTITY_SIGNING_KEY */
  signingKeys(): Promise<KeyStore>;
  /** stops every process: the gateway first, then the services behind it */
  stop(): Promise<void>;
}

/**
 * The distributed mode on this machine: each service its own process on its own free port, configured by
 * environment variables as a deployment would configure it. Identity, content, social-graph, media and the
 * relay share one event store (a SQLite file, which is safe across processes, or KurrentDB); the relay publishes
 * it to Kafka; projections consume Kafka into MongoDB and Redis; the gateway routes to all of them.
 * Resolves once every service answers `/health` and the gateway `/ready`; a service that fails to start stops
 * the others and throws with its log's path and last lines.
 */
export async function startDistributed(options: StartDistributedOptions): Promise<DistributedSystem> {
  const { servers, runDir } = options;
  const runId = options.runId ?? `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const dataDir = join(runDir, 'data');
  const host = '127.0.0.1';
  if (options.port !== undefined) await assertPortFree(options.port, host);
  const ports = {} as Record<DistributedServiceName, number>;
  for (const name of distributedServiceNames) {
    ports[name] = name === 'gateway' && options.port !== undefined ? options.port : await freePort(host);
  }
  const urls = Object.fromEntries(
    distributedServiceNames.map((name) => [name, `http://${host}:${ports[name]}`]),
  ) as Record<DistributedServiceName, string>;
  const jwksUrl = `${urls.identity}/.well-known/jwks.json`;

  // The signing key comes from configuration, as in a deployment (a secret store there).
  const { kid: signingKid, jwk: signingJwk } = signingKey(runDir, runId, options.persistSigningKey ?? false);

  // The secret the services trust each other by: from configuration in a deployment, fresh per start here.
  const internalSecret = options.internalSecret ?? randomBytes(32).toString('base64url');
  const common: Record<string, string> = {
    HOST: host,
    LOG_LEVEL: options.logLevel ?? 'warn',
    INTERNAL_SERVICE_SECRET: internalSecret,
    ...(servers.eventStoreUrl ? { EVENT_STORE_URL: servers.eventStoreUrl } : { DATA_DIR: dataDir }),
  };
  const kafkaBrokers = servers.kafkaBrokers.join(',');
  // The test broker is shared with other suites that publish to the same topics: this run's read models
  // consume as a group of their own, which starts at the topics' ends (see startGroupAtTopicEnds).
  const projectionsGroupId = `projections-${runId}`;
  // Social-graph's reactions (what a block ends) likewise, on every topic a worker reads, internal ones included.
  const socialGraphGroupId = `social-graph-${runId}`;
  // Content's reactions to blocks likewise: another run's blocks name accounts this run's store never saw.
  const contentGroupId = `content-reactions-${runId}`;
  // The notifications read model likewise.
  const notificationsGroupId = `notifications-${runId}`;
  const env: Record<DistributedServiceName, Record<string, string>> = {
    identity: {
      ...common,
      PORT: String(ports.identity),
      IDENTITY_SIGNING_KEY: signingJwk,
      IDENTITY_SIGNING_KID: signingKid,
      // The accounts' data keys (keys.sqlite) are identity's own, under its DATA_DIR, whatever the event store.
      DATA_DIR: dataDir,
      // Login and signup counters, and answers to signups sent with an Idempotency-Key, shared by identity's replicas.
      REDIS_URL: servers.redisUrl,
      // Media erases a deleted account's files before its deletion answers; an export's followers and photos come
      // from the query service and media, its link is the gateway's.
      PROJECTIONS_URL: urls.projections,
      MEDIA_URL: urls.media,
      EXPORTS_PUBLIC_URL: urls.gateway,
      ...options.identityEnv,
    },
    // Content, media and identity keep the answers to requests sent with an Idempotency-Key in Redis.
    content: {
      ...common,
      PORT: String(ports.content),
      JWKS_URL: jwksUrl,
      // The accounts' data keys, and which userNames a text's mentions name as live accounts.
      IDENTITY_URL: urls.identity,
      REDIS_URL: servers.redisUrl,
      KAFKA_BROKERS: kafkaBrokers,
      CONTENT_GROUP_ID: contentGroupId,
    },
    'social-graph': {
      ...common,
      PORT: String(ports['social-graph']),
      JWKS_URL: jwksUrl,
      KAFKA_BROKERS: kafkaBrokers,
      SOCIAL_GRAPH_GROUP_ID: socialGraphGroupId,
    },
    media: {
      ...common,
      // Media without S3 keeps its files under DATA_DIR, which the KurrentDB case leaves unset.
      DATA_DIR: dataDir,
      PORT: String(ports.media),
      JWKS_URL: jwksUrl,
      // Clients reach the files through the gateway, which routes /api/v1/media/files/* to media.
      MEDIA_PUBLIC_URL: urls.gateway,
      MALLOC_ARENA_MAX: '1',
      REDIS_URL: servers.redisUrl,
      ...(servers.s3
        ? {
            S3_ENDPOINT: servers.s3.url,
            S3_ACCESS_KEY: servers.s3.accessKey,
            S3_SECRET_KEY: servers.s3.secretKey,
            S3_BUCKET: `gram-media-${runId}`.toLowerCase(),
          }
        : {}),
    },
    relay: {
      ...common,
      KAFKA_BROKERS: kafkaBrokers,
      // Its checkpoint lives in Kafka under this name: another run's checkpoint would skip this run's events.
      RELAY_NAME: `gram-relay-${runId}`,
      METRICS_PORT: String(ports.relay),
    },
    projections: {
      HOST: host,
      LOG_LEVEL: options.logLevel ?? 'warn',
      INTERNAL_SERVICE_SECRET: internalSecret,
      PORT: String(ports.projections),
      JWKS_URL: jwksUrl,
      KAFKA_BROKERS: kafkaBrokers,
      MONGO_URL: servers.mongoUrl,
      MONGO_DB: `gram_${runId}`,
      REDIS_URL: servers.redisUrl,
      PROJECTIONS_GROUP_ID: projectionsGroupId,
    },
    notifications: {
      HOST: host,
      LOG_LEVEL: options.logLevel ?? 'warn',
      INTERNAL_SERVICE_SECRET: internalSecret,
      PORT: String(ports.notifications),
      JWKS_URL: jwksUrl,
      KAFKA_BROKERS: kafkaBrokers,
      MONGO_URL: servers.mongoUrl,
      MONGO_DB: `gram_${runId}`,
      // the read model (all of it but the read markers, which MongoDB keeps), the live stream, tickets
      REDIS_URL: servers.redisUrl,
      NOTIFICATIONS_GROUP_ID: notificationsGroupId,
    },
    gateway: {
      HOST: host,
      LOG_LEVEL: options.logLevel ?? 'warn',
      INTERNAL_SERVICE_SECRET: internalSecret,
      PORT: String(ports.gateway),
      IDENTITY_URL: urls.identity,
      CONTENT_URL: urls.content,
      SOCIAL_GRAPH_URL: urls['social-graph'],
      MEDIA_URL: urls.media,
      PROJECTIONS_URL: urls.projections,
      NOTIFICATIONS_URL: urls.notifications,
      RELAY_METRICS_URL: urls.relay,
      REDIS_URL: servers.redisUrl,
      ...options.gatewayEnv,
    },
  };

  const services = Object.fromEntries(
    distributedServiceNames.map((name) => [
      name,
      new ServiceProcess({
        name,
        entry: `services/${name}/src/main.ts`,
        env: env[name],
        logFile: logPath(runDir, name),
        healthUrls:
          name === 'gateway' ? [`${urls.gateway}/health`, `${urls.gateway}/ready`] : [`${urls[name]}/health`],
      }),
    ]),
  ) as Record<DistributedServiceName, ServiceProcess>;

  const notificationsReplicas: { url: string; process: ServiceProcess }[] = [];
  for (let n = 2; n <= (options.notificationsInstances ?? 1); n++) {
    const port = await freePort(host);
    notificationsReplicas.push({
      url: `http://${host}:${port}`,
      process: new ServiceProcess({
        name: `notifications-${n}`,
        entry: 'services/notifications/src/main.ts',
        env: { ...env.notifications, PORT: String(port) },
        logFile: logPath(runDir, `notifications-${n}`),
        healthUrls: [`http://${host}:${port}/health`],
      }),
    });
  }

  const system: DistributedSystem = {
    mode: 'distributed',
    url: urls.gateway,
    runDir,
    runId,
    services,
    urls,
    notificationsReplicas,
    internalSecret,
    signingKeys: () =>
      KeyStore.fromEnvironment({ IDENTITY_SIGNING_KEY: signingJwk, IDENTITY_SIGNING_KID: signingKid }),
    async stop() {
      await services.gateway.stop();
      await stopAll([
        ...distributedServiceNames.filter((name) => name !== 'gateway').map((name) => services[name]),
        ...notificationsReplicas.map((replica) => replica.process),
      ]);
    },
  };

  try {
    // The relay creates the event topics the projections and the reactions of content and social-graph subscribe
    // to, so it is up before them; the gateway checks every service when it starts, so it comes last.
    await Promise.all((['identity', 'media', 'relay'] as const).map((name) => services[name].start()));
    await Promise.all([
      startGroupAtTopicEnds(servers.kafkaBrokers, projectionsGroupId, workerTopics),
      startGroupAtTopicEnds(servers.kafkaBrokers, contentGroupId, workerTopics),
      startGroupAtTopicEnds(servers.kafkaBrokers, socialGraphGroupId, workerTopics),
      startGroupAtTopicEnds(servers.kafkaBrokers, notificationsGroupId, workerTopics),
    ]);
    await Promise.all(
      (['content', 'social-graph', 'projections', 'notifications'] as const).map((name) =>
        services[name].start(),
      ),
    );
    // The other instances join a running one, as a scaled-out service's do: it made the collections and indexes.
    await Promise.all(notificationsReplicas.map((replica) => replica.process.start()));
    await services.gateway.start();
  } catch (error) {
    await system.stop();
    throw error;
  }
  return system;
}

/**
 * Commits the group's offsets at the current end of every event topic, before its first worker starts: the
 * read models of this run then hold this run's events only, not what other suites published to the shared
 * test broker earlier (a deployment has a broker of its own and starts its group from the beginning).
 * The relay has created the topics by the time its /health answers.
 */
async function startGroupAtTopicEnds(
  brokers: readonly string[],
  groupId: string,
  topics: readonly string[],
): Promise<void> {
  const admin = createKafka({ brokers: [...brokers], clientId: 'e2e-harness', logger: silentLogger }).admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({
        groupId,
        topic,
        partitions: ends.map(({ partition, high }) => ({ partition, offset: high })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}

/** An Ed25519 private JWK (JSON) and its kid: fresh, or the one kept in the run's directory. */
function signingKey(runDir: string, runId: string, persist: boolean): { kid: string; jwk: string } {
  const path = join(runDir, 'identity-signing-key.json');
  if (persist && existsSync(path)) return JSON.parse(readFileSync(path, 'utf8'));
  const key = {
    kid: `${runId}-${randomBytes(4).toString('hex')}`,
    jwk: JSON.stringify(generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' })),
  };
  if (persist) {
    mkdirSync(runDir, { recursive: true });
    writeFileSync(path, JSON.stringify(key), { mode: 0o600 });
  }
  return key;
}

/**
 * Healthy processes are not yet a flowing pipeline: the projections' consumer joins its group and the relay
 * finds the topics in the first seconds. Until a write is seen at the read side (its consistency token
 * `applied`), the tests would read with tokens the read side cannot honour yet.
 */
export async function pipelineFlowing(url: string): Promise<void> {
  // Imported here, not at the top: vitest refuses to load outside a test run, and scripts (start-distributed.ts,
  // the projections' live benchmark) start the system through this module too.
  const { expect } = await import('vitest');
  const { createPost, eventually, signUp } = await import('../api/fixtures.js');
  const client = new ApiClient(url);
  const probe = await createPost(client, await signUp(client, 'Probe'));
  const token = client.lastConsistencyToken as string;
  await eventually(
    async () => {
      const res = await client.get(`/api/v1/posts/${probe.id}`, {
        headers: { 'x-consistency-token': token },
      });
      expect(res.headers.get('x-read-consistency')).toBe('applied');
    },
    60_000,
    100,
  );
}
