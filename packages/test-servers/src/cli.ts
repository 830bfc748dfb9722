// Starts the test servers and keeps them running until SIGINT/SIGTERM, e.g. to run the whole system in
// distributed mode on a machine without Docker:
//
//   tsx packages/test-servers/src/cli.ts up            # all servers
//   TEST_SERVERS=kafka,mongo tsx packages/test-servers/src/cli.ts up
//
// It prints the environment lines (REDIS_URL=..., KAFKA_BROKERS=..., MONGO_URL=...) on stdout, one per line,
// then `ready`, so a script can read them; everything else goes to stderr.
import { serversFromEnv, startTestServers } from './servers.js';

const usage = 'usage: tsx packages/test-servers/src/cli.ts up   (TEST_SERVERS=redis,kafka,mongo to choose)';

async function up(): Promise<void> {
  // A server that cannot be started is an error here, wherever this runs: the caller needs all it asked for.
  const servers = await startTestServers(serversFromEnv(), { strict: true });
  console.error(servers.summary);
  for (const [name, value] of Object.entries(servers.env)) console.log(`${name}=${value}`);
  console.log('ready');

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.error(`test servers: ${signal}, stopping`);
    servers.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  // The servers' child processes are unref'd; this keeps the CLI alive until a signal arrives.
  setInterval(() => {}, 1 << 30);
}

const [command] = process.argv.slice(2);
if (command === 'up') {
  up().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
} else {
  console.error(usage);
  process.exit(2);
}
