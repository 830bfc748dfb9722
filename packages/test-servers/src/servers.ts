import { isCi } from './ci.js';
import { startKafka } from './kafka.js';
import { startS3 } from './minio.js';
import { startMongo } from './mongo.js';
import { startRedis } from './redis.js';
import {
  type AnyRunningServer,
  type RunningKafka,
  type RunningMongo,
  type RunningRedis,
  type RunningS3,
  SERVER_NAMES,
  type ServerName,
} from './types.js';

export interface TestServers {
  redis?: RunningRedis;
  kafka?: RunningKafka;
  mongo?: RunningMongo;
  s3?: RunningS3;
  /** `REDIS_URL`, `KAFKA_BROKERS` (comma-separated), `MONGO_URL` and `S3_ENDPOINT`/`S3_ACCESS_KEY`/`S3_SECRET_KEY` of the servers that run. */
  env: Record<string, string>;
  /** One line naming every server used, its version and where it runs. */
  summary: string;
  /** Stops every server; safe to call twice. */
  stop(): Promise<void>;
}

export interface StartTestServersOptions {
  /**
   * Fail when a server cannot be provided, instead of warning and leaving it out (its tests then skip).
   * Defaults to true when the `CI` environment variable is set: in CI nothing may be skipped for lack of a server.
   */
  strict?: boolean;
}

const starters: { [N in ServerName]: () => Promise<Extract<AnyRunningServer, { name: N }>> } = {
  redis: startRedis,
  kafka: startKafka,
  mongo: startMongo,
  s3: startS3,
};

/** The servers named by `TEST_SERVERS` (e.g. `redis,kafka`); all of them when it is unset or empty. */
export function serversFromEnv(value = process.env.TEST_SERVERS): ServerName[] {
  if (!value?.trim()) return [...SERVER_NAMES];
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!isServerName(name)) {
      throw new Error(`TEST_SERVERS: unknown server "${name}"; choose among ${SERVER_NAMES.join(', ')}`);
    }
  }
  return [...new Set(names as ServerName[])];
}

function isServerName(name: string): name is ServerName {
  return (SERVER_NAMES as readonly string[]).includes(name);
}

/** Starts the named servers in parallel and reports which ones it used. */
export async function startTestServers(
  names: readonly ServerName[] = serversFromEnv(),
  options: StartTestServersOptions = {},
): Promise<TestServers> {
  const strict = options.strict ?? isCi();
  const started = Date.now();
  const results = await Promise.allSettled(names.map((name) => starters[name]()));

  const running: AnyRunningServer[] = [];
  const failures: string[] = [];
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') running.push(result.value);
    else failures.push(`${names[i]}: ${errorMessage(result.reason)}`);
  });
  const stop = async () => {
    await Promise.all(running.map((server) => server.stop()));
  };

  if (failures.length > 0) {
    if (strict) {
      await stop();
      throw new Error(
        `test servers: could not start ${failures.length} server(s); in CI every test server is required.\n` +
          failures.join('\n'),
      );
    }
    for (const failure of failures) {
      console.warn(`test servers: unavailable, the tests that need it will be skipped. ${failure}`);
    }
  }

  const servers: TestServers = {
    env: {},
    summary: '',
    stop,
  };
  for (const server of running) {
    switch (server.name) {
      case 'redis':
        servers.redis = server;
        servers.env.REDIS_URL = server.url;
        break;
      case 'kafka':
        servers.kafka = server;
        servers.env.KAFKA_BROKERS = server.brokers.join(',');
        break;
      case 'mongo':
        servers.mongo = server;
        servers.env.MONGO_URL = server.url;
        break;
      case 's3':
        servers.s3 = server;
        servers.env.S3_ENDPOINT = server.url;
        servers.env.S3_ACCESS_KEY = server.accessKey;
        servers.env.S3_SECRET_KEY = server.secretKey;
        break;
      default: {
        const unknown: never = server;
        throw new Error(`unknown server ${JSON.stringify(unknown)}`);
      }
    }
  }
  const used = names.map(
    (name) => running.find((server) => server.name === name)?.description ?? `${name} unavailable`,
  );
  servers.summary = `test servers: ${used.join(', ')} (ready in ${((Date.now() - started) / 1000).toFixed(1)}s)`;
  return servers;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
