// Relay benchmark: `pnpm --filter @gram/relay bench [--save-baseline]` (or `pnpm bench relay` at the root).
//
// 1. Catch-up: N events (BENCH_CATCH_UP_EVENTS, default 150,000) are appended to a fresh SQLite event store first,
//    then the relay process starts; the figure is events/s until its checkpoint in Kafka covers the whole log, the
//    first fifth (warm-up) left out. The sustained rate of a long backlog: with 50,000 events the measured part
//    lasts about 2 s, while the broker's JIT is still compiling, and runs of the same code spread by ±20%.
// 2. Lag: with the relay caught up, a writer process appends events at a steady 1,000/s for 15 s; a consumer built
//    on the project's consumer library (KafkaSubscriber, read_committed) takes each one, and the lag is the time
//    from the acknowledgement of the event's append to the handler, p50 and p99.
//
// Each part runs in its own process, as deployed: the relay (`node --import tsx services/relay/src/main.ts`), the
// writer (bench/steady-appender.ts) and the consumer (this process), sharing the SQLite file as services do.
// Kafka: KAFKA_BROKERS when set, else a broker from @gram/test-servers.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type EventStore, openSqliteEventStore } from '@gram/event-store';
import { type DomainEvent, publicTopics, streamIds, toStoredEvent } from '@gram/events';
import { createKafka, KafkaSubscriber, silentLogger } from '@gram/messaging';
import { relayCoordinates } from '../src/topics.js';

const args = process.argv.slice(2);
const saveBaseline = args.includes('--save-baseline');
// --profile: the relay process writes a V8 CPU profile (open it in Chrome DevTools) into bench-results/
const profileDir = args.includes('--profile')
  ? join(import.meta.dirname, '..', '..', '..', 'bench-results')
  : undefined;
const catchUpEvents = Number(process.env.BENCH_CATCH_UP_EVENTS ?? 150_000);
const steadyRate = 1_000;
const steadySeconds = Number(process.env.BENCH_STEADY_SECONDS ?? 15);
const baselineFile = join(import.meta.dirname, 'baseline.json');
const repoRoot = join(import.meta.dirname, '..', '..', '..');

async function kafkaBrokers(): Promise<{
  brokers: string[];
  stop: () => Promise<void>;
  description: string;
}> {
  if (process.env.KAFKA_BROKERS) {
    return {
      brokers: process.env.KAFKA_BROKERS.split(','),
      stop: async () => {},
      description: 'KAFKA_BROKERS',
    };
  }
  // A broker under sustained load: full JIT and G1 rather than the tests' fast-starting C1-only, serial-GC JVM
  // (serial collections are stop-the-world pauses that show in the lag's p99).
  process.env.GRAM_KAFKA_JAVA_OPTS ??= '-Xms512m -Xmx1g -XX:+ExitOnOutOfMemoryError';
  const { startKafka } = await import('@gram/test-servers');
  const kafka = await startKafka();
  return { brokers: kafka.brokers, stop: () => kafka.stop(), description: kafka.description };
}

/** One realistic event: mostly likes, some follows and posts, each in its own small stream. */
function workloadEvent(
  i: number,
  authorId: string,
  postId: string,
): { streamId: string; event: DomainEvent } {
  const at = new Date().toISOString();
  const userId = randomUUID();
  switch (i % 10) {
    case 0: {
      const newPost = randomUUID();
      return {
        streamId: streamIds.post(newPost),
        event: {
          type: 'PostCreated',
          data: {
            postId: newPost,
            authorId,
            photo: `https://cdn.example.com/p/${newPost}.jpg`,
            caption: 'golden hour at the pier #sunset',
            createdAt: at,
          },
        },
      };
    }
    case 1:
    case 2:
      return {
        streamId: streamIds.follow(userId, authorId),
        event: { type: 'UserFollowed', data: { followerId: userId, followeeId: authorId, followedAt: at } },
      };
    default:
      return {
        streamId: streamIds.like(postId, userId),
        event: { type: 'PostLiked', data: { postId, userId, postAuthorId: authorId, likedAt: at } },
      };
  }
}

async function appendMany(store: EventStore, count: number): Promise<void> {
  const authorId = randomUUID();
  const postId = randomUUID();
  await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const { streamId, event } = workloadEvent(i, authorId, postId);
      return store.appendToStream(streamId, [toStoredEvent(event)], { expectedRevision: 'no_stream' });
    }),
  );
}

function startRelayProcess(
  dataDir: string,
  brokers: string[],
): { child: ChildProcess; name: string; resumed: Promise<void> } {
  const name = `bench-relay-${randomUUID().slice(0, 8)}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    KAFKA_BROKERS: brokers.join(','),
    RELAY_NAME: name,
    RELAY_ID: 'bench',
    METRICS_PORT: '0',
    // Required of every process of the distributed mode; nobody scrapes this relay's metrics here.
    INTERNAL_SERVICE_SECRET: randomBytes(32).toString('base64url'),
    LOG_LEVEL: 'info',
  };
  delete env.EVENT_STORE_URL;
  delete env.ESDB_URL;
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(
    process.execPath,
    [...profile, '--import', 'tsx', join(repoRoot, 'services/relay/src/main.ts')],
    {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const resumed = new Promise<void>((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`relay exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line.includes('relay resumes after its checkpoint')) resolve();
    });
  });
  return { child, name, resumed };
}

/** Runs the writer process; resolves with when each of its appends was acknowledged (epoch ms). */
function runAppender(dataDir: string, rate: number, seconds: number): Promise<Record<string, number>> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'steady-appender.ts')],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        EVENTS_PATH: join(dataDir, 'events.sqlite'),
        RATE: String(rate),
        SECONDS: String(seconds),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  return new Promise((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0
        ? resolve((JSON.parse(output) as { acknowledged: Record<string, number> }).acknowledged)
        : reject(new Error(`appender exited with ${code}`)),
    ),
  );
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function main(): Promise<void> {
  const kafka = await kafkaBrokers();
  const dataDir = mkdtempSync(join(tmpdir(), 'relay-bench-'));
  const store = openSqliteEventStore({ path: join(dataDir, 'events.sqlite') });
  let relay: ChildProcess | undefined;
  const client = createKafka({ brokers: kafka.brokers, clientId: 'relay-bench', logger: silentLogger });
  const subscriber = new KafkaSubscriber({
    kafka: client,
    logger: silentLogger,
    fromBeginning: false,
    shutdownSignals: [],
  });
  try {
    console.log(
      `kafka: ${kafka.description}; ${cpus().length} cores, load average ${loadavg()[0]?.toFixed(1)}`,
    );
    console.log(`appending ${catchUpEvents} events for the catch-up ...`);
    for (let done = 0; done < catchUpEvents; done += 1_000)
      await appendMany(store, Math.min(1_000, catchUpEvents - done));
    const head = await store.headPosition();
    // The store is the relay's from here on; the writer of the lag phase opens it in its own process.
    await store.close();

    // 1. Catch-up. Timed by the relay's own clock: the produce timestamps of its checkpoint records. The first
    // fifth of the log is the warm-up (a fresh broker's and relay's JIT compilers, the first transactions) and is
    // left out of the rate.
    const started = startRelayProcess(dataDir, kafka.brokers);
    relay = started.child;
    await started.resumed;
    const warmedUpAt = Math.floor(head / 5);
    const committed: { position: number; at: number }[] = [];
    const checkpoints = client.consumer({ groupId: `relay-bench-${randomUUID()}`, maxWaitTimeInMs: 50 });
    await checkpoints.connect();
    await checkpoints.subscribe({
      topics: [relayCoordinates(started.name).checkpointTopic],
      fromBeginning: true,
    });
    await checkpoints.run({
      eachMessage: async ({ message }) => {
        const { position } = JSON.parse(String(message.value)) as { position: number };
        committed.push({ position, at: Number(message.timestamp) });
      },
    });
    while (!committed.some((c) => c.position >= head)) await new Promise((resolve) => setTimeout(resolve, 5));
    await checkpoints.disconnect();
    const first = committed[0] as { position: number; at: number };
    const warm = committed.find((c) => c.position >= warmedUpAt) as { position: number; at: number };
    const last = committed.find((c) => c.position >= head) as { position: number; at: number };
    const catchUpRate = (last.position - warm.position) / ((last.at - warm.at) / 1_000);
    console.log(
      `catch-up: ${catchUpEvents} events in ${((last.at - first.at) / 1_000).toFixed(2)} s from the first transaction; ` +
        `${(catchUpRate / 1_000).toFixed(1)}k events/s after the first ${warm.position}`,
    );

    // 2. Lag under a steady rate. The writer is a process of its own, like the command services; the lag of an
    // event is the time from its append's acknowledgement (it is durable, so the relay may see it) to the handler.
    const received = new Map<string, number>();
    await subscriber.subscribe({
      groupId: `relay-bench-${randomUUID()}`,
      topics: publicTopics,
      handler: async (message) => {
        received.set(message.id, performance.timeOrigin + performance.now());
      },
    });
    // Warm-up: the consumer has joined and the whole path is hot before anything is measured.
    await runAppender(dataDir, steadyRate, 2);
    console.log(
      `steady ${steadyRate} events/s for ${steadySeconds} s (load average ${loadavg()[0]?.toFixed(1)}) ...`,
    );
    const acknowledged = await runAppender(dataDir, steadyRate, steadySeconds);
    const ids = Object.keys(acknowledged);
    const drainDeadline = Date.now() + 30_000;
    while (ids.some((id) => !received.has(id)) && Date.now() < drainDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const lags = ids.map((id) =>
      Math.max(0, (received.get(id) ?? Number.NaN) - (acknowledged[id] as number)),
    );
    const lost = lags.filter(Number.isNaN).length;
    if (lost > 0) throw new Error(`${lost} of ${ids.length} events never reached the consumer`);
    lags.sort((a, b) => a - b);
    const p50 = percentile(lags, 50);
    const p99 = percentile(lags, 99);

    report([
      { metric: 'catch-up events/s', now: catchUpRate, target: 20_000, higherIsBetter: true },
      { metric: 'lag p50 ms @1000/s', now: p50, target: undefined, higherIsBetter: false },
      { metric: 'lag p99 ms @1000/s', now: p99, target: 50, higherIsBetter: false },
    ]);
  } finally {
    await subscriber.stop();
    if (relay && relay.exitCode === null) {
      relay.kill('SIGTERM');
      await new Promise((resolve) => relay?.once('exit', resolve));
    }
    rmSync(dataDir, { recursive: true, force: true });
    await kafka.stop();
  }
}

interface Row {
  metric: string;
  now: number;
  target: number | undefined;
  higherIsBetter: boolean;
}

function report(rows: Row[]): void {
  let baseline: Record<string, number> = {};
  try {
    baseline = JSON.parse(readFileSync(baselineFile, 'utf8'));
  } catch {}
  const format = (value: number | undefined) =>
    value === undefined || Number.isNaN(value) ? '-' : value >= 100 ? value.toFixed(0) : value.toFixed(1);
  const lines = [['metric', 'now', 'baseline', 'ratio', 'target', 'ok']];
  for (const row of rows) {
    const base = baseline[row.metric];
    const ok =
      row.target === undefined
        ? '-'
        : (row.higherIsBetter ? row.now >= row.target : row.now <= row.target)
          ? 'yes'
          : 'NO';
    lines.push([
      row.metric,
      format(row.now),
      format(base),
      base ? `${(row.now / base).toFixed(2)}x` : '-',
      row.target === undefined ? '-' : `${row.higherIsBetter ? '>=' : '<='} ${row.target}`,
      ok,
    ]);
  }
  const widths = lines[0]?.map((_, i) => Math.max(...lines.map((line) => (line[i] ?? '').length))) ?? [];
  for (const line of lines) console.log(line.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  '));
  if (saveBaseline) {
    writeFileSync(
      baselineFile,
      `${JSON.stringify(Object.fromEntries(rows.map((r) => [r.metric, Number(r.now.toFixed(2))])), null, 2)}\n`,
    );
    console.log(`baseline saved to ${baselineFile}`);
  }
}

await main();
