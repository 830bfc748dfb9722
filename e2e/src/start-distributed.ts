// The distributed mode on this machine, without Docker: the real servers of the test infrastructure as local
// processes (packages/test-servers), then every service as its own process (harness/distributed.ts).
// Started by `pnpm start:distributed` (scripts/start-distributed.sh). Ctrl-C stops everything.
//
//   PORT              the gateway's port (default 8080)
//   DATA_DIR          the event store (SQLite), media files, identity's key and the services' logs
//                     (default ./data/distributed). The event store is the truth: Kafka, MongoDB and Redis start
//                     empty on every start and are rebuilt from it (the relay republishes the whole log).
//   EVENT_STORE_URL   esdb:// or kurrentdb:// to use KurrentDB instead of the SQLite file (also ESDB_URL)
//   TEST_SERVERS      which servers to start (default redis,kafka,mongo: media keeps its files under DATA_DIR,
//                     next to the events that name them; add s3 to keep them in MinIO instead)
//   LOG_LEVEL         of every service (default info)
//   INTERNAL_SERVICE_SECRET  the secret every service asks of every call (the gateway's; at least 32 bytes):
//                     a fresh random one on every start when not given. Calling a service's own port takes it in
//                     the x-internal-service-secret header; clients use the gateway.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { type DistributedSystem, repoRoot, startDistributed } from './harness/index.js';

const runDir = resolve(process.env.DATA_DIR || join(repoRoot, 'data', 'distributed'));
const port = Number(process.env.PORT || 8080);

/** Starts the test servers' CLI and reads its `NAME=value` lines up to `ready`. */
async function startTestServers(): Promise<{ child: ChildProcess; env: Record<string, string> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/test-servers/src/cli.ts', 'up'], {
    cwd: repoRoot,
    env: { ...process.env, TEST_SERVERS: process.env.TEST_SERVERS || 'redis,kafka,mongo' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const env: Record<string, string> = {};
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`the test servers stopped (exit code ${code})`))),
  );
  const ready = (async () => {
    for await (const line of lines) {
      if (line === 'ready') return;
      const at = line.indexOf('=');
      if (at > 0) env[line.slice(0, at)] = line.slice(at + 1);
    }
    throw new Error('the test servers said nothing more before becoming ready');
  })();
  await Promise.race([ready, exited]);
  exited.catch(() => {});
  return { child, env };
}

function required(env: Record<string, string>, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`the test servers printed no ${name}`);
  return value;
}

async function main(): Promise<void> {
  mkdirSync(runDir, { recursive: true });
  console.error('starting the test servers (Redis, Kafka, MongoDB protocol; installed on first use)...');
  const servers = await startTestServers();
  let system: DistributedSystem | undefined;
  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`\n${reason}: stopping the services, then the test servers`);
    await system?.stop();
    servers.child.kill('SIGTERM');
    await new Promise((resolveExit) => {
      if (servers.child.exitCode !== null || servers.child.signalCode !== null) resolveExit(undefined);
      else servers.child.once('exit', resolveExit);
    });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stop(signal).then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
    });
  }

  try {
    const eventStoreUrl = process.env.EVENT_STORE_URL || process.env.ESDB_URL;
    const s3 = servers.env.S3_ENDPOINT
      ? {
          url: servers.env.S3_ENDPOINT,
          accessKey: required(servers.env, 'S3_ACCESS_KEY'),
          secretKey: required(servers.env, 'S3_SECRET_KEY'),
        }
      : undefined;
    console.error(`starting the services (logs in ${join(runDir, 'logs')})...`);
    system = await startDistributed({
      runDir,
      port,
      // The servers are fresh on every start, so one name is enough: nothing of an earlier start is in them.
      runId: 'local',
      logLevel: process.env.LOG_LEVEL || 'info',
      persistSigningKey: true,
      ...(process.env.INTERNAL_SERVICE_SECRET ? { internalSecret: process.env.INTERNAL_SERVICE_SECRET } : {}),
      servers: {
        kafkaBrokers: required(servers.env, 'KAFKA_BROKERS').split(','),
        mongoUrl: required(servers.env, 'MONGO_URL'),
        redisUrl: required(servers.env, 'REDIS_URL'),
        ...(s3 ? { s3 } : {}),
        ...(eventStoreUrl ? { eventStoreUrl } : {}),
      },
    });
  } catch (error) {
    await stop('start failed');
    throw error;
  }

  for (const [name, url] of Object.entries(system.urls)) {
    console.error(
      `  ${name.padEnd(13)} ${url}  (log: ${system.services[name as keyof typeof system.urls].logFile})`,
    );
  }
  console.error(`the distributed mode is up; Ctrl-C stops everything. Data: ${runDir}`);
  // The one line on stdout: where clients go.
  console.log(`gateway: ${system.url}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
