// pnpm bench projections live [--save-baseline] (or pnpm --filter @gram/projections bench live): the distributed
// read side's live path, on real servers (Kafka, FerretDB, Redis from @gram/test-servers, local processes) and
// real processes (the relay and projections' main.ts, `node --import tsx`, as deployed).
//
// 1. Sustained events/s applied by 1 worker, then by 3 (separate processes, one consumer group), each on a fresh
//    database, generation and group. The mix: likes (half of them on 10 hot posts, the rest spread over the cold
//    ones), follows and comments, after users and posts created first and not measured. The events are appended
//    to a SQLite event store and the real relay publishes them (rather than a hand-made producer): the workers
//    then read exactly what production gives them, transactions and control records included, and verify has
//    the log. The setup is applied first; the mix is appended with the relay stopped, and published by the
//    relay started again once every worker has joined the group and holds its partitions (the relay catches up
//    at tens of thousands of events/s, bench/relay: it shares the window's first moments only). Applied = the workers' own `gram_projection_events_applied_total` (Prometheus, counted once a
//    message's read-model writes are done), summed over the workers and scraped every 100 ms; the window runs
//    from the first scrape that shows any applied to the first that shows all, or BENCH_WINDOW_SECONDS, so the
//    slow code yields a figure too. Completion is then checked with the group's committed offsets (lag 0).
//    Beside it, on the same servers in the same run: a consumer group that does nothing (KafkaSubscriber, no-op
//    handler) over the same messages, FerretDB upserts by _id (one at a time, and bulkWrite of 99), pipelined
//    Redis HINCRBY.
// 2. Append-to-visible through the gateway: the whole distributed system (e2e harness: identity, content,
//    social-graph, media, relay, projections, gateway), accounts and posts made through the gateway, then
//    likes/unlikes (half on 10 hot posts), follows/unfollows and comments sent at a steady BENCH_RATE/s for
//    BENCH_STEADY_SECONDS, after the same load for BENCH_WARMUP_SECONDS, not measured, and drained (the JIT
//    compilers of a fresh Kafka and fresh services are done by then, as in a system that has been running). Every 10th write is followed from its answer until a read through the gateway that
//    sends the write's consistency token back answers `x-read-consistency: applied` (read-your-writes: the
//    query API waits, bounded at 2 s, until its worker has applied that event's position; a timeout is retried):
//    from then on every reader sees the write. A write not visible within BENCH_VISIBLE_CAP_MS counts at the cap
//    (so a p99 equal to the cap means "at least") and in the invisible fraction.
// 3. Convergence after a SIGKILL: 2 workers, a burst of BENCH_BURST events appended at once; when the workers
//    have applied half of it (or BENCH_KILL_AFTER_SECONDS into the burst, whichever comes first: the slow code
//    would take minutes to get there) one is SIGKILLed and restarted at once, as an orchestrator would. Its partitions
//    stay with the dead member until the group's session timeout lets the coordinator reassign them, which is
//    part of what a crash costs. The figure runs from the last append's acknowledgement until the group's lag is
//    0 and every counter equals the recount (BENCH_CONVERGE_CAP_SECONDS at most).
// 4. After every phase, verify (recountFromEvents + compareCounters) over that phase's events against its
//    generation: the number of differences, target 0. A phase that has not drained within BENCH_DRAIN_SECONDS
//    after its measurement is verified all the same, and says so: its unapplied events count among the
//    differences.
// Likes and follows toggle (a pair's second like is an unlike), so hot posts stay hot at any size.
// The defaults keep the whole run near 8 minutes on code that applies a few dozen events/s.
//
// Knobs: BENCH_EVENTS (mix events per sustained run, 10,000), BENCH_WINDOW_SECONDS (30), BENCH_DRAIN_SECONDS
// (how long a phase may go on after its measurement to finish before verify, 20), BENCH_USERS (100) and
// BENCH_POSTS (100) of the setups of phases 1 and 3, BENCH_RATE (1,000), BENCH_STEADY_SECONDS (20),
// BENCH_WARMUP_SECONDS (20),
// BENCH_VISIBLE_CAP_MS (10,000), BENCH_BURST (10,000), BENCH_KILL_AFTER_SECONDS (15),
// BENCH_CONVERGE_CAP_SECONDS (90), BENCH_PHASES (sustained,kill,gateway: the ones to run).
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ServiceProcess, startDistributed } from '@gram/e2e';
import { type EventStore, openSqliteEventStore } from '@gram/event-store';
import { publicTopics, topicOf } from '@gram/events';
import { createKafka, KafkaSubscriber, silentLogger } from '@gram/messaging';
import { startTestServers } from '@gram/test-servers';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { Agent, type Dispatcher, request } from 'undici';
import { readLog } from '../src/rebuild/rebuild.js';
import { Generations } from '../src/store/generations.js';
import { compareCounters, recountFromEvents } from '../src/verify/recount.js';
import { HistoryBuilder, seededRandom } from '../test/history.js';
import { type Metric, percentile, report } from './report.js';

const env = process.env;
const knob = (name: string, fallback: number) => Number(env[name] ?? fallback);
const mixEvents = knob('BENCH_EVENTS', 10_000);
const windowSeconds = knob('BENCH_WINDOW_SECONDS', 30);
const drainSeconds = knob('BENCH_DRAIN_SECONDS', 20);
const setupUsers = knob('BENCH_USERS', 100);
const setupPosts = knob('BENCH_POSTS', 100);
const steadyRate = knob('BENCH_RATE', 1_000);
const steadySeconds = knob('BENCH_STEADY_SECONDS', 20);
const warmupSeconds = knob('BENCH_WARMUP_SECONDS', 20);
const visibleCapMs = knob('BENCH_VISIBLE_CAP_MS', 10_000);
const burstEvents = knob('BENCH_BURST', 10_000);
const convergeCapSeconds = knob('BENCH_CONVERGE_CAP_SECONDS', 90);
const killAfterSeconds = knob('BENCH_KILL_AFTER_SECONDS', 15);
const phases = new Set((env.BENCH_PHASES ?? 'sustained,gateway,kill').split(','));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const load = () => `${cpus().length} cores, load average ${loadavg()[0]?.toFixed(2)}`;
const log = (line: string) => console.info(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const secret = randomBytes(32).toString('base64url');
const runDir = mkdtempSync(join(tmpdir(), 'projections-live-'));
const metrics: Metric[] = [];

// A broker with room for sustained load, compiled by C1 alone with the serial collector. A deployed broker's C2 has
// long finished; this one's has not, on 2 cores shared with everything it serves: recorded with JFR
// (jdk.ThreadCPULoad) over the gateway phase's window, its compiler threads were 53% of its CPU after a 20 s warmup
// and still 49% after 60 s, which made Kafka the largest consumer of the machine. C1 code is slower than C2's at
// steady state, so the broker's share measured here is, if anything, more than a warm one's.
env.GRAM_KAFKA_JAVA_OPTS ??=
  '-Xms512m -Xmx1g -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError';
const servers = await startTestServers(['kafka', 'mongo', 'redis'], { strict: true });
const brokers = (servers.env.KAFKA_BROKERS as string).split(',');
const mongoUrl = servers.env.MONGO_URL as string;
const redisUrl = servers.env.REDIS_URL as string;
log(`${servers.summary}; ${load()}`);
const kafka = createKafka({ brokers, clientId: 'live-bench', logger: silentLogger });
const admin = kafka.admin();
await admin.connect();
const mongo = await MongoClient.connect(mongoUrl);
const redis = new Redis(redisUrl);

/** Prometheus text → the value of one unlabelled sample. */
async function scrape(url: string, name: string): Promise<number | undefined> {
  try {
    const res = await fetch(url, {
      headers: { 'x-internal-service-secret': secret },
      signal: AbortSignal.timeout(2_000),
    });
    const text = await res.text();
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** A Prometheus histogram's cumulative bucket counts (upper bound in seconds → count), {} when unreachable. */
async function scrapeHistogram(url: string, name: string): Promise<Map<number, number>> {
  const buckets = new Map<number, number>();
  try {
    const res = await fetch(url, {
      headers: { 'x-internal-service-secret': secret },
      signal: AbortSignal.timeout(2_000),
    });
    const pattern = new RegExp(`^${name}_bucket\\{(?:[^}]*,)?le="([^"]+)"[^}]*\\} (\\S+)$`, 'gm');
    for (const [, le, count] of (await res.text()).matchAll(pattern))
      buckets.set(le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), Number(count));
  } catch {}
  return buckets;
}

/**
 * The `q` quantile (0..1) of what a histogram observed between two scrapes, in ms: the upper bound of the
 * bucket it falls in (so "at most"), NaN when nothing was observed.
 */
function histogramQuantile(before: Map<number, number>, after: Map<number, number>, q: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Number.POSITIVE_INFINITY) ?? 0) - (before.get(Number.POSITIVE_INFINITY) ?? 0);
  if (total <= 0) return Number.NaN;
  for (const bound of bounds) {
    if ((after.get(bound) ?? 0) - (before.get(bound) ?? 0) >= q * total) return bound * 1_000;
  }
  return Number.NaN;
}

/** The event topics' end offsets, per topic and partition. */
async function topicEnds(): Promise<Map<string, Map<number, number>>> {
  const ends = new Map<string, Map<number, number>>();
  for (const topic of publicTopics) {
    const offsets = await admin.fetchTopicOffsets(topic);
    ends.set(topic, new Map(offsets.map(({ partition, high }) => [partition, Number(high)])));
  }
  return ends;
}

/**
 * Starts `groupId` at the given offsets (default: the topics' current ends): it reads what comes after only.
 * One member joins, commits every partition's offset and leaves: admin.setOffsets would join the group once per
 * topic, each join some seconds on a busy broker.
 */
async function positionGroup(groupId: string, at?: Map<string, Map<number, number>>): Promise<void> {
  const offsets = at ?? (await topicEnds());
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.connect();
  await consumer.subscribe({ topics: [...publicTopics], fromBeginning: false });
  await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => {} });
  await joined;
  await consumer.commitOffsets(
    [...offsets].flatMap(([topic, partitions]) =>
      [...partitions].map(([partition, offset]) => ({ topic, partition, offset: String(offset) })),
    ),
  );
  await consumer.disconnect();
}

/**
 * Lag 0: the group has committed past every event message. The relay writes in transactions, so the last record
 * of a partition it wrote to is a commit marker, one past the last event: committed >= end - 1 covers it.
 */
async function caughtUp(groupId: string): Promise<boolean> {
  const ends = await topicEnds();
  const committed = await admin.fetchOffsets({ groupId, topics: [...publicTopics] });
  return committed.every(({ topic, partitions }) =>
    partitions.every(({ partition, offset }) => Number(offset) >= (ends.get(topic)?.get(partition) ?? 0) - 1),
  );
}

async function until(test: () => Promise<boolean>, capMs: number, everyMs = 250): Promise<boolean> {
  const deadline = Date.now() + capMs;
  for (;;) {
    if (await test()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}

// ---- the event store and the relay that publishes it, for phases 1 and 3
const dataDir = join(runDir, 'data');
const store: EventStore = openSqliteEventStore({ path: join(dataDir, 'events.sqlite') });
const relayPort = await freePort();
const relay = new ServiceProcess({
  name: 'relay',
  entry: 'services/relay/src/main.ts',
  env: {
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    INTERNAL_SERVICE_SECRET: secret,
    DATA_DIR: dataDir,
    KAFKA_BROKERS: brokers.join(','),
    RELAY_NAME: `live-bench-${randomBytes(4).toString('hex')}`,
    METRICS_PORT: String(relayPort),
  },
  logFile: join(runDir, 'logs', 'relay.log'),
  healthUrls: [`http://127.0.0.1:${relayPort}/health`],
});

/** Appends the events, many appends in flight as the command services make them, and waits until published. */
async function appendAndPublish(events: HistoryBuilder['events']): Promise<number> {
  return published(await append(events));
}

/** Appends `events` to the event store; answers the head position. */
async function append(events: HistoryBuilder['events']): Promise<number> {
  for (let i = 0; i < events.length; i += 1_000) {
    await Promise.all(
      events.slice(i, i + 1_000).map((e) =>
        store.appendToStream(e.streamId, [{ id: e.id, type: e.type, data: e.data, metadata: e.metadata }], {
          expectedRevision: 'any',
        }),
      ),
    );
  }
  return store.headPosition();
}

/** Waits until the relay has published up to `head`. */
async function published(head: number): Promise<number> {
  await until(
    async () =>
      ((await scrape(`http://127.0.0.1:${relayPort}/metrics`, 'gram_relay_position')) ?? -1) >= head,
    120_000,
    50,
  );
  return head;
}

/** One projections worker process (main.ts with MONGO_URL: the distributed mode). */
async function worker(
  name: string,
  db: string,
  groupId: string,
): Promise<{ process: ServiceProcess; metrics: string }> {
  const port = await freePort();
  const process = new ServiceProcess({
    name,
    entry: 'services/projections/src/main.ts',
    env: {
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      INTERNAL_SERVICE_SECRET: secret,
      // Nobody reads through these workers here; the verifier fetches its keys lazily.
      JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json',
      KAFKA_BROKERS: brokers.join(','),
      MONGO_URL: mongoUrl,
      MONGO_DB: db,
      REDIS_URL: redisUrl,
      PROJECTIONS_GROUP_ID: groupId,
    },
    logFile: join(runDir, 'logs', `${name}.log`),
    healthUrls: [`http://127.0.0.1:${port}/health`],
  });
  return { process, metrics: `http://127.0.0.1:${port}/metrics` };
}

type Worker = Awaited<ReturnType<typeof worker>>;
const appliedBy = async (workers: readonly Worker[]) =>
  (
    await Promise.all(workers.map((w) => scrape(w.metrics, 'gram_projection_events_applied_total')))
  ).reduce<number>((sum, n) => sum + (n ?? 0), 0);

/** A fresh database whose live generation is `generation` (its own Redis keys), as a worker follows it. */
async function freshGenerations(db: string, generation: number): Promise<Generations> {
  const generations = new Generations(mongo.db(db), redis);
  await generations.switchTo(generation);
  return generations;
}

/** Verify: recounts the events after `after` and compares them with the generation; answers the differences. */
async function verify(
  events: EventStore,
  after: number,
  generations: Generations,
  quiet = false,
): Promise<number> {
  const expected = await recountFromEvents(readLog(events, after));
  const differences = await compareCounters(
    expected,
    generations.store(await generations.active()).documents,
  );
  if (!quiet)
    for (const d of differences.slice(0, 5))
      log(
        `  differs: ${d.collection}/${d.id} ${d.field}: read model ${d.actual ?? 'missing'}, events ${d.expected}`,
      );
  return differences.length;
}

/** Users and posts, then the measured mix: 60% likes (half on 10 hot posts), 20% follows, 20% comments. */
function workload(seed: number, users: number, posts: number, events: number) {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
  const h = new HistoryBuilder(Date.now());
  const userIds = Array.from({ length: users }, (_, i) => h.register(`live_${seed}_${i}`));
  const postList = Array.from({ length: posts }, () => {
    const authorId = pick(userIds);
    return { postId: h.post(authorId), authorId };
  });
  const hot = postList.slice(0, 10);
  const setup = h.events.splice(0);
  // Likes and follows toggle (a second like of a pair is an unlike), so the hot posts stay hot at any size.
  const edges = new Set<string>();
  const toggle = (key: string) => !edges.delete(key) && Boolean(edges.add(key));
  while (h.events.length < events) {
    const roll = random();
    if (roll < 0.6) {
      const post = roll < 0.3 ? pick(hot) : pick(postList);
      const userId = pick(userIds);
      if (toggle(`${post.postId}_${userId}`)) h.like(post.postId, post.authorId, userId);
      else h.unlike(post.postId, userId);
    } else if (roll < 0.8) {
      const [a, b] = [pick(userIds), pick(userIds)];
      if (a === b) continue;
      if (toggle(`${a}_${b}`)) h.follow(a, b);
      else h.unfollow(a, b);
    } else {
      const post = pick(postList);
      h.comment(post.postId, post.authorId, pick(userIds));
    }
  }
  const publicCount = (list: typeof setup) => list.filter((e) => topicOf(e.type) !== undefined).length;
  return { setup, mix: h.events, setupPublic: publicCount(setup), mixPublic: publicCount(h.events) };
}

/** Starts the workers, waits until the group has applied everything published so far, stops them. */
async function applySetup(workers: readonly Worker[], groupId: string): Promise<void> {
  await Promise.all(workers.map((w) => w.process.start()));
  if (!(await until(() => caughtUp(groupId), 600_000)))
    throw new Error('the setup was not applied in 10 min');
}

const ceilings: Record<string, number> = {};

async function rawCeilings(): Promise<void> {
  const db = mongo.db('live_raw');
  const collection = db.collection<{ _id: string; n?: number }>('c');
  const timed = async (seconds: number, step: () => Promise<number>) => {
    const started = performance.now();
    let done = 0;
    while (performance.now() - started < seconds * 1_000) done += await step();
    return done / ((performance.now() - started) / 1_000);
  };
  let i = 0;
  ceilings.mongoSequential = await timed(3, async () => {
    await collection.updateOne({ _id: `d${i++ % 5_000}` }, { $inc: { n: 1 } }, { upsert: true });
    return 1;
  });
  // 99 per command: FerretDB 1.24 never answers an update command matching 100 documents or more (each matched
  // update holds one of its 100 pooled SQLite connections until the command ends; bench/ferretdb-ops.bench.ts).
  ceilings.mongoBulk = await timed(3, async () => {
    await collection.bulkWrite(
      Array.from({ length: 99 }, () => ({
        updateOne: { filter: { _id: `d${i++ % 5_000}` }, update: { $inc: { n: 1 } }, upsert: true },
      })),
      { ordered: false },
    );
    return 99;
  });
  ceilings.redisPipelined = await timed(3, async () => {
    const pipeline = redis.pipeline();
    for (let k = 0; k < 1_000; k++) pipeline.hincrby(`live_raw:${i++ % 5_000}`, 'n', 1);
    await pipeline.exec();
    return 1_000;
  });
  await db.dropDatabase();
  log(
    `ceilings: FerretDB ${Math.round(ceilings.mongoSequential)} upserts/s one at a time, ` +
      `${Math.round(ceilings.mongoBulk)}/s in bulkWrites of 99; Redis ${Math.round(ceilings.redisPipelined)} HINCRBY/s pipelined`,
  );
}

/** A consumer group that does nothing, over the messages between `from` and the topics' ends now. */
async function rawConsume(from: Map<string, Map<number, number>>, count: number): Promise<number> {
  const groupId = `live-raw-${randomBytes(4).toString('hex')}`;
  await positionGroup(groupId, from);
  const subscriber = new KafkaSubscriber({ kafka, logger: silentLogger, shutdownSignals: [] });
  let seen = 0;
  let first = 0;
  let last = 0;
  await subscriber.subscribe({
    groupId,
    topics: publicTopics,
    handler: async () => {
      const now = performance.now();
      if (seen++ === 0) first = now;
      last = now;
    },
  });
  await until(async () => seen >= count, 120_000, 50);
  await subscriber.stop();
  return (seen - 1) / ((last - first) / 1_000);
}

/** Phase 1 with `count` workers; answers events/s. */
async function sustained(count: number, seed: number): Promise<number> {
  const db = `live_sustained_${count}`;
  const groupId = `live-sustained-${count}-${randomBytes(4).toString('hex')}`;
  const generations = await freshGenerations(db, 100 + seed);
  const { setup, mix, setupPublic, mixPublic } = workload(seed, setupUsers, setupPosts, mixEvents);
  await positionGroup(groupId);
  const before = await store.headPosition();
  await appendAndPublish(setup);
  const workers = await Promise.all(
    Array.from({ length: count }, (_, n) => worker(`worker-${count}-${n}`, db, groupId)),
  );
  log(`${count} worker(s): applying the setup (${setupPublic} public events) ...`);
  await applySetup(workers, groupId);
  // Every worker in the group, its partitions assigned, before the mix exists: the window then measures the
  // group at work, not processes starting one after the other (the first one up would take every partition
  // and apply most of the mix alone before the others joined).
  await sleep(3_000);
  const appliedBefore = await appliedBy(workers);
  const mixFrom = await topicEnds();
  await relay.stop();
  const head = await append(mix);
  log(`${count} worker(s): publishing ${mixPublic} events; measuring (${load()}) ...`);
  const publishing = relay.start().then(() => published(head));
  let startedAt: number | undefined;
  let endedAt: number | undefined;
  let applied = 0;
  const capAt = () => (startedAt ?? Number.POSITIVE_INFINITY) + windowSeconds * 1_000;
  while (endedAt === undefined) {
    applied = (await appliedBy(workers)) - appliedBefore;
    const now = performance.now();
    if (applied > 0 && startedAt === undefined) startedAt = now;
    if (applied >= mixPublic || now >= capAt()) endedAt = now;
    else await sleep(100);
  }
  const rate = Math.min(applied, mixPublic) / (((endedAt as number) - (startedAt as number)) / 1_000);
  log(
    `${count} worker(s): ${Math.min(applied, mixPublic)} of ${mixPublic} applied in ${(((endedAt as number) - (startedAt as number)) / 1_000).toFixed(1)} s: ${Math.round(rate)} events/s`,
  );
  await publishing;
  const drained = await until(() => caughtUp(groupId), drainSeconds * 1_000, 500);
  const total = (await appliedBy(workers)) - appliedBefore;
  log(
    `${count} worker(s): ${drained ? `lag 0; ${total - mixPublic} redelivered` : `not drained ${drainSeconds} s after the window`}; ` +
      load(),
  );
  await Promise.all(workers.map((w) => w.process.stop()));
  const differences = await verify(store, before, generations);
  log(
    `${count} worker(s): verify: ${differences} differences${drained ? '' : ' (events not yet applied count among them)'}`,
  );
  metrics.push(
    {
      metric: `sustained, ${count} worker${count > 1 ? 's' : ''}, events/s`,
      now: rate,
      better: 'higher',
      target: count === 1 ? 2_000 : undefined,
    },
    {
      metric: `sustained, ${count} worker${count > 1 ? 's' : ''}, verify differences`,
      now: differences,
      better: 'lower',
      target: 0,
    },
  );
  if (count === 1) {
    ceilings.kafka = await rawConsume(mixFrom, mixPublic);
    log(`ceiling: a consumer group that does nothing reads ${Math.round(ceilings.kafka)} of these events/s`);
  }
  return rate;
}

/** Phase 3. */
async function killAndConverge(seed: number): Promise<void> {
  const db = 'live_kill';
  const groupId = `live-kill-${randomBytes(4).toString('hex')}`;
  const generations = await freshGenerations(db, 100 + seed);
  const { setup, mix, mixPublic } = workload(seed, setupUsers, setupPosts, burstEvents);
  await positionGroup(groupId);
  const before = await store.headPosition();
  await appendAndPublish(setup);
  const workers = await Promise.all([0, 1].map((n) => worker(`kill-worker-${n}`, db, groupId)));
  log('kill: 2 workers applying the setup ...');
  await applySetup(workers, groupId);
  const base = await appliedBy(workers);
  log(`kill: a burst of ${mixPublic} events (${load()}) ...`);
  let killedAt = -1;
  const burstAt = performance.now();
  const killer = (async () => {
    for (;;) {
      const applied = (await appliedBy(workers)) - base;
      if (applied >= mixPublic / 2 || performance.now() - burstAt >= killAfterSeconds * 1_000) {
        killedAt = applied;
        await workers[0]?.process.kill('SIGKILL');
        await workers[0]?.process.start();
        return;
      }
      await sleep(50);
    }
  })();
  await appendAndPublish(mix);
  // The last write: acknowledged by the store, and published (the relay is far faster than the workers).
  const lastWrite = performance.now();
  const converged = await until(
    async () =>
      killedAt >= 0 && (await caughtUp(groupId)) && (await verify(store, before, generations, true)) === 0,
    convergeCapSeconds * 1_000,
    1_000,
  );
  const seconds = (performance.now() - lastWrite) / 1_000;
  await killer;
  log(
    `kill: SIGKILL at ${killedAt} applied; ${converged ? 'converged' : 'NOT converged'} ${seconds.toFixed(1)} s after the last write; ${load()}`,
  );
  await Promise.all(workers.map((w) => w.process.stop()));
  const differences = await verify(store, before, generations);
  metrics.push(
    { metric: 'SIGKILL mid-burst, seconds to converge', now: seconds, better: 'lower', target: 30 },
    { metric: 'SIGKILL mid-burst, verify differences', now: differences, better: 'lower', target: 0 },
  );
}

/** Phase 2. */
async function throughGateway(): Promise<void> {
  const systemDir = join(runDir, 'system');
  const system = await startDistributed({
    servers: { kafkaBrokers: brokers, mongoUrl, redisUrl },
    runDir: systemDir,
    internalSecret: secret,
    gatewayEnv: { WRITES_PER_USER_PER_MINUTE: '1000000' },
    identityEnv: { SIGNUPS_PER_IP: '1000000' },
  });
  // undici's request rather than fetch: the driver shares the 2 cores with the system it measures, and fetch's
  // WHATWG streams and Headers cost it about twice the CPU per call.
  const connections = new Agent({ connections: 256 });
  try {
    const url = system.url;
    const call = async (
      method: Dispatcher.HttpMethod,
      path: string,
      token?: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) => {
      const res = await request(`${url}${path}`, {
        dispatcher: connections,
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.body.text();
      const header = (name: string) => {
        const value = res.headers[name];
        return typeof value === 'string' ? value : null;
      };
      return { status: res.statusCode, header, body: text ? JSON.parse(text) : undefined };
    };
    const tag = randomBytes(3).toString('hex');
    const phone = String(randomInt(10_000_000, 99_999_999));
    log(`gateway: ${url}; signing up 100 accounts and making 200 posts ...`);
    const users: { id: string; token: string }[] = [];
    for (let batch = 0; batch < 100; batch += 10) {
      users.push(
        ...(await Promise.all(
          Array.from({ length: 10 }, async (_, k) => {
            const n = String(batch + k).padStart(4, '0');
            const account = {
              name: `Live ${n}`,
              userName: `live${tag}_${n}`,
              email: `live${tag}.${n}@example.com`,
              phoneNo: `+49${phone}${n}`,
              password: 'correct horse battery staple',
            };
            const signup = await call('POST', '/api/v1/auth/signup', undefined, account);
            if (signup.status !== 201)
              throw new Error(`signup: ${signup.status} ${JSON.stringify(signup.body)}`);
            const login = await call('POST', '/api/v1/auth/login', undefined, {
              login: account.userName,
              password: account.password,
            });
            return { id: signup.body.user.id as string, token: login.body.accessToken as string };
          }),
        )),
      );
    }
    const posts: { id: string; token: string }[] = [];
    for (let batch = 0; batch < 200; batch += 10) {
      posts.push(
        ...(await Promise.all(
          Array.from({ length: 10 }, async (_, k) => {
            const author = users[(batch + k) % users.length] as (typeof users)[0];
            const res = await call('POST', '/api/v1/posts', author.token, {
              photo: `https://img.example.com/${tag}/${batch + k}.jpg`,
              caption: 'live',
            });
            if (res.status !== 201) throw new Error(`post: ${res.status} ${JSON.stringify(res.body)}`);
            return { id: res.body.id as string, token: res.header('x-consistency-token') as string };
          }),
        )),
      );
    }
    // The setup is visible before anything is measured: each post read back with its own write's token.
    for (const post of posts) {
      await until(
        async () =>
          (
            await call('GET', `/api/v1/posts/${post.id}`, undefined, undefined, {
              'x-consistency-token': post.token,
            })
          ).header('x-read-consistency') === 'applied',
        300_000,
        0,
      );
    }
    const postIds = posts.map((post) => post.id);
    const hot = postIds.slice(0, 10);
    const liked = new Set<string>();
    const followed = new Set<string>();
    const busy = new Set<string>();
    const random = seededRandom(11);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
    const lags: number[] = [];
    let invisible = 0;
    let failed = 0;
    let answered = 0;
    let skipped = 0;
    const inFlight = new Set<Promise<void>>();
    const maxInFlight = 1_000;

    /** From the write's answer until a read with its token answers `applied` (or the cap). */
    const followVisibility = async (answeredAt: number, readPath: string, reader: string, token: string) => {
      for (;;) {
        const res = await call('GET', readPath, reader, undefined, { 'x-consistency-token': token }).catch(
          () => undefined,
        );
        const now = performance.now();
        // A read sent before the cap that answers after it counts as invisible at the cap, like the rest.
        if (res?.header('x-read-consistency') === 'applied' && now - answeredAt < visibleCapMs) {
          lags.push(now - answeredAt);
          return;
        }
        if (now - answeredAt >= visibleCapMs) {
          invisible++;
          lags.push(visibleCapMs);
          return;
        }
        if (!res) await sleep(50);
      }
    };
    const write = async (n: number) => {
      const user = pick(users);
      const roll = random();
      let method: Dispatcher.HttpMethod;
      let path: string;
      let body: unknown;
      let readPath: string;
      let key: string | undefined;
      if (roll < 0.8) {
        const postId = roll < 0.4 ? pick(hot) : pick(postIds);
        key = `${postId}_${user.id}`;
        if (busy.has(key)) {
          skipped++;
          return;
        }
        method = liked.has(key) ? 'DELETE' : 'PUT';
        if (method === 'PUT') liked.add(key);
        else liked.delete(key);
        path = `/api/v1/posts/${postId}/like`;
        readPath = `/api/v1/posts/${postId}`;
      } else if (roll < 0.9) {
        const other = pick(users);
        key = `${user.id}_${other.id}`;
        if (other === user || busy.has(key)) {
          skipped++;
          return;
        }
        method = followed.has(key) ? 'DELETE' : 'PUT';
        if (method === 'PUT') followed.add(key);
        else followed.delete(key);
        path = `/api/v1/users/${other.id}/follow`;
        readPath = `/api/v1/users/${other.id}`;
      } else {
        const postId = pick(postIds);
        method = 'POST';
        path = `/api/v1/posts/${postId}/comments`;
        body = { text: 'live' };
        readPath = `/api/v1/posts/${postId}`;
      }
      if (key) busy.add(key);
      try {
        const res = await call(method, path, user.token, body);
        const answeredAt = performance.now();
        if (res.status >= 300) {
          failed++;
          return;
        }
        answered++;
        const token = res.header('x-consistency-token');
        if (n % 10 === 0 && token) await followVisibility(answeredAt, readPath, user.token, token);
      } catch {
        failed++;
      } finally {
        if (key) busy.delete(key);
      }
    };

    // Where the time goes, from the services' own histograms over the steady window: append to published
    // (the relay: event store to Kafka's acknowledgement of its transaction), and append to applied (the
    // projection worker, which includes the relay's part).
    const lagHistograms = () =>
      Promise.all([
        scrapeHistogram(`${system.urls.relay}/metrics`, 'gram_relay_lag_seconds'),
        scrapeHistogram(`${system.urls.projections}/metrics`, 'gram_projection_lag_seconds'),
      ]);
    /** Sends the mix at `steadyRate` for `seconds`; at most `maxInFlight` at once, the rest counted as not sent. */
    const sendSteadily = async (seconds: number) => {
      const total = steadyRate * seconds;
      const started = performance.now();
      let sent = 0;
      let overloaded = 0;
      while (sent < total) {
        const due = Math.min(total, Math.floor(((performance.now() - started) / 1_000) * steadyRate));
        for (; sent < due; sent++) {
          if (inFlight.size >= maxInFlight) {
            overloaded++;
            continue;
          }
          const p = write(sent).finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
        await sleep(1);
      }
      const sendSeconds = (performance.now() - started) / 1_000;
      await Promise.all(inFlight);
      return { sendSeconds, overloaded };
    };
    const relayMetrics = `${system.urls.relay}/metrics`;
    const systemStore = openSqliteEventStore({ path: join(systemDir, 'data', 'events.sqlite') });
    /** Whether the read side has applied everything the system's relay published, within `seconds`. */
    const drain = async (seconds: number) => {
      const head = await systemStore.headPosition();
      return until(
        async () =>
          ((await scrape(relayMetrics, 'gram_relay_position')) ?? -1) >= head &&
          (await caughtUp(`projections-${system.runId}`)),
        seconds * 1_000,
        500,
      );
    };
    // A deployed system has run for days: the brokers' and the services' JIT compilers are done. A fresh Kafka
    // spends about half its CPU compiling for the first minutes (JFR: its compiler threads were 46% of its CPU in
    // an unwarmed 20 s window), which the 2 cores would otherwise charge to the read side.
    if (warmupSeconds > 0) {
      log(`gateway: warming up, ${steadyRate} writes/s for ${warmupSeconds} s (${load()}) ...`);
      await sendSteadily(warmupSeconds);
      await drain(drainSeconds);
      lags.length = 0;
      invisible = failed = answered = skipped = 0;
    }
    const lagsBefore = await lagHistograms();
    log(`gateway: ${steadyRate} writes/s for ${steadySeconds} s (${load()}) ...`);
    const { sendSeconds, overloaded } = await sendSteadily(steadySeconds);
    const lagsAfter = await lagHistograms();
    const [relayP50, relayP99, appliedP50, appliedP99] = [
      histogramQuantile(lagsBefore[0], lagsAfter[0], 0.5),
      histogramQuantile(lagsBefore[0], lagsAfter[0], 0.99),
      histogramQuantile(lagsBefore[1], lagsAfter[1], 0.5),
      histogramQuantile(lagsBefore[1], lagsAfter[1], 0.99),
    ];
    log(
      `gateway: append to published (relay) p50 <= ${relayP50} ms, p99 <= ${relayP99} ms; ` +
        `append to applied (worker) p50 <= ${appliedP50} ms, p99 <= ${appliedP99} ms (histogram bucket bounds)`,
    );
    const achieved = answered / sendSeconds;
    log(
      `gateway: ${answered} writes answered 2xx (${Math.round(achieved)}/s), ${failed} failed, ${overloaded} not sent ` +
        `(${maxInFlight} in flight), ${skipped} skipped (pair busy); ${lags.length} followed, ${invisible} invisible after ${visibleCapMs} ms; ${load()}`,
    );
    metrics.push(
      {
        metric: 'gateway writes answered per second',
        now: achieved,
        better: 'higher',
        target: steadyRate * 0.95,
      },
      { metric: 'gateway append to visible p50, ms', now: percentile(lags, 50), better: 'lower' },
      { metric: 'gateway append to published p99 (relay), ms, at most', now: relayP99, better: 'lower' },
      { metric: 'gateway append to applied p99 (worker), ms, at most', now: appliedP99, better: 'lower' },
      {
        metric: 'gateway append to visible p99, ms',
        now: percentile(lags, 99),
        better: 'lower',
        target: 500,
      },
      {
        metric: 'gateway writes invisible after the cap, %',
        now: (100 * invisible) / Math.max(1, lags.length),
        better: 'lower',
        target: 0,
      },
    );

    // Verify once the read side has caught up with everything the system's relay published.
    const drained = await drain(drainSeconds);
    const differences = await verify(
      systemStore,
      0,
      new Generations(mongo.db(`gram_${system.runId}`), redis),
    );
    await systemStore.close();
    log(
      `gateway: ${drained ? 'lag 0' : `lag not 0 after ${drainSeconds} s`}; verify: ${differences} differences`,
    );
    metrics.push({ metric: 'gateway verify differences', now: differences, better: 'lower', target: 0 });
  } finally {
    await connections.close();
    await system.stop();
  }
}

let ok = false;
try {
  if (phases.has('sustained') || phases.has('kill')) await relay.start();
  if (phases.has('sustained')) {
    await rawCeilings();
    await sustained(1, 1);
    await sustained(3, 3);
    metrics.push(
      {
        metric: 'ceiling: Kafka consume, no-op group, events/s',
        now: ceilings.kafka as number,
        better: 'higher',
      },
      {
        metric: 'ceiling: FerretDB upserts/s, one at a time',
        now: ceilings.mongoSequential as number,
        better: 'higher',
      },
      {
        metric: 'ceiling: FerretDB upserts/s, bulkWrite of 99',
        now: ceilings.mongoBulk as number,
        better: 'higher',
      },
      {
        metric: 'ceiling: Redis HINCRBY/s, pipelined',
        now: ceilings.redisPipelined as number,
        better: 'higher',
      },
    );
  }
  if (phases.has('kill')) await killAndConverge(5);
  await relay.stop();
  if (phases.has('gateway')) await throughGateway();
  log(`done; ${load()}`);
  ok = report('live', metrics);
} finally {
  await relay.stop();
  await store.close();
  await admin.disconnect();
  await mongo.close();
  redis.disconnect();
  await servers.stop();
  rmSync(runDir, { recursive: true, force: true });
}
process.exitCode = ok ? 0 : 1;
