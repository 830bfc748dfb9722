// The relay as its own process (distributed mode). Run two or more: one publishes, the others stand by.
//
//   KAFKA_BROKERS               host:port[,host:port...] (required)
//   EVENT_STORE_URL / ESDB_URL  esdb:// or kurrentdb:// for KurrentDB; otherwise the SQLite file under DATA_DIR
//   DATA_DIR                    default ./data
//   RELAY_ID                    this instance, in logs and as Kafka client id (default relay-<host>-<pid>)
//   RELAY_NAME                  the relay every instance belongs to (default gram-relay): its lease, fencing, checkpoint
//   RELAY_TOPIC_PARTITIONS      partitions of the event topics it creates (default 3)
//   RELAY_SESSION_TIMEOUT_MS    how soon a standby takes over a silent active instance (default 10000)
//   RELAY_POLL_INTERVAL_MS      SQLite only: how often to look for events appended by other processes (default 5)
//   RELAY_MAX_BATCH             most events in one Kafka transaction (default 2000)
//   METRICS_PORT                serves GET /metrics (Prometheus text: lag, position, active) and /health (default 9465;
//                               0 picks a free port, for several instances on one host)
//   INTERNAL_SERVICE_SECRET     required, at least 32 bytes: /metrics answers only calls carrying it (the gateway's
//                               scrape; a Prometheus scraping it directly sends it as a header too), /health anyone
//   LOG_LEVEL                   pino level (default info)
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import {
  type EventStore,
  eventStoreLocation,
  openKurrentDbEventStore,
  openSqliteEventStore,
} from '@gram/event-store';
import { brokersFromEnv, createKafka } from '@gram/messaging';
import {
  internalCredentialHeader,
  internalSecretFromEnv,
  isInternalCredential,
  missingInternalCredential,
} from '@gram/service-kit/internal-credential';
import { prettyOnTerminal } from '@gram/service-kit/logging';
import { pino } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { RelayMetrics } from './metrics.js';
import { Relay } from './relay.js';

const env = process.env;
const internalSecret = internalSecretFromEnv(env);
const instanceId = env.RELAY_ID || `relay-${hostname()}-${process.pid}`;
const logger = pino(
  prettyOnTerminal({ level: env.LOG_LEVEL ?? 'info', base: { service: 'relay', instance: instanceId } }),
);
const integer = (name: string, fallback: number) => {
  const value = Number(env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
};

const location = eventStoreLocation(env);
const store: EventStore =
  location.kind === 'kurrentdb'
    ? openKurrentDbEventStore({ connectionString: location.connectionString })
    : // The relay shares the SQLite file with the processes that append: it sees their events only by polling.
      openSqliteEventStore({ path: location.path, pollIntervalMs: integer('RELAY_POLL_INTERVAL_MS', 5) });
logger.info({ eventStore: location.kind === 'sqlite' ? location.path : 'kurrentdb' }, 'event store opened');

const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'gram_relay_process_' });
const metrics = new RelayMetrics(registry);

const brokers = brokersFromEnv(env);
const relay = await Relay.start({
  store,
  kafka: createKafka({ brokers, clientId: instanceId, logger }),
  name: env.RELAY_NAME || 'gram-relay',
  instanceId,
  partitions: integer('RELAY_TOPIC_PARTITIONS', 3),
  sessionTimeoutMs: integer('RELAY_SESSION_TIMEOUT_MS', 10_000),
  maxBatch: integer('RELAY_MAX_BATCH', 2_000),
  logger,
  metrics,
});

// A plain HTTP listener for the scraper and the health check: the relay serves nothing else. Like every service
// it answers internal calls only, `/health` aside (see internal-credential.ts).
const metricsServer = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/health') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok' }));
  } else if (!isInternalCredential(request.headers[internalCredentialHeader], internalSecret)) {
    response
      .writeHead(401, { 'content-type': 'application/problem+json' })
      .end(JSON.stringify(missingInternalCredential().toJSON()));
  } else if (request.method === 'GET' && request.url === '/metrics') {
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => response.writeHead(500).end(),
    );
  } else {
    response.writeHead(404).end();
  }
});
const metricsPort = Number(env.METRICS_PORT ?? 9465);
// Publishing matters more than being scraped: a taken port is logged loudly, and the relay goes on relaying.
metricsServer.on('error', (error) =>
  logger.error(
    { err: error, port: metricsPort },
    'the metrics endpoint could not listen; relaying without it',
  ),
);
metricsServer.listen(metricsPort, env.HOST ?? '0.0.0.0', () => {
  const address = metricsServer.address();
  logger.info(
    { port: typeof address === 'object' && address ? address.port : metricsPort },
    'metrics endpoint listening',
  );
});
logger.info({ brokers }, 'relay started; publishing whenever it holds the lease');

let stopping = false;
const shutdown = async (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  logger.info(
    { signal, position: relay.position ?? null },
    'stopping: finishing the transaction in progress',
  );
  metricsServer.close();
  await relay.stop();
  await store.close();
  logger.info({ position: relay.position ?? null }, 'relay stopped');
};
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, (s) => void shutdown(s));
