/**
 * Benchmark of notifications, through the gateway over real HTTP, in the embedded mode and in the distributed one:
 *
 *   pnpm bench notifications [--save-baseline] [--mode both|embedded|distributed] [--rate 500] [--duration 20]
 *                            [--streams 10000] [--authors 100] [--reads-duration 10] [--connections 16]
 *
 * The embedded mode (`--mode embedded`, or first in `both`):
 * 1. Like to stream: likes sent at a steady `rate` for `duration` seconds, each of a post of its own, by
 *    `authors` authors whose streams are open; the time from a like's request to its `notification` event on
 *    the author's stream, p50 and p99.
 * 2. `streams` open streams held by this one process, one per account (the authors' among them): the memory
 *    they take (resident and heap, garbage collected before each reading), and the like-to-stream latency of
 *    step 1 again while they are open.
 * 3. `GET /notifications` as the authors in turn (each with a page of likes to show), autocannon as in the other
 *    benchmarks: reads/s and p99.
 *
 * The server (the embedded app, every service behind the gateway's edge) runs in this process; the stream
 * clients and the likes in a forked one (notification-clients.ts), autocannon in another (load.ts), so that
 * neither shares the server's event loop or counts in its memory. The log is seeded through the SQLite store
 * (accounts with a live session each, the posts to like), then the read models and the notifications are
 * rebuilt from it as at any start.
 *
 * The distributed mode (`--mode distributed`, or second in `both`): the whole system as the e2e harness starts it
 * (each service its own process, on Kafka, Redis and FerretDB from @gram/test-servers). `authors` authors and as
 * many likers sign up through the gateway, the authors' posts are made through it, and once the notifications
 * service has applied all of that (its consumer group has committed the topics' ends), step 1 above is measured
 * through the gateway: the authors' streams open on the notifications service behind it, the likes answered by
 * content, published by the relay, applied by notifications and sent down the streams.
 *
 * Figures are printed beside the saved baselines (services/projections/bench/notifications.baseline.json,
 * notifications-distributed.baseline.json); --save-baseline records this run's there.
 */
import { fork } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { type DistributedSystem, startDistributed } from '@gram/e2e';
import { openSqliteEventStore } from '@gram/event-store';
import { streamIds } from '@gram/events';
import { AccessTokenIssuer, KeyStore } from '@gram/identity';
import { diskMediaStorage } from '@gram/media';
import { createKafka, silentLogger } from '@gram/messaging';
import { inMemoryDataKeys } from '@gram/personal-data';
import { newId, type ServiceApp } from '@gram/service-kit';
import { startTestServers } from '@gram/test-servers';
import { type Metric, percentile, report } from '../../../services/projections/bench/report.js';
import { buildEmbeddedApp } from '../src/embedded-app.js';
import { append, inChunks, load } from './driver.js';
import type { ClientAnswer, ClientCommand } from './notification-clients.js';

const { values: args } = parseArgs({
  options: {
    'save-baseline': { type: 'boolean', default: false },
    /** embedded, distributed, or both in turn */
    mode: { type: 'string', default: 'both' },
    /** likes per second, steady */
    rate: { type: 'string', default: '500' },
    /** seconds of likes, in each of the two latency runs */
    duration: { type: 'string', default: '20' },
    /** streams held open in step 2, one per account */
    streams: { type: 'string', default: '10000' },
    /** the accounts whose posts are liked, their streams open in both latency runs */
    authors: { type: 'string', default: '100' },
    'reads-duration': { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
  },
});
const modes = { both: ['embedded', 'distributed'], embedded: ['embedded'], distributed: ['distributed'] };
const mode = args.mode as keyof typeof modes;
if (!Object.hasOwn(modes, mode))
  throw new Error(`--mode ${mode}: choose among ${Object.keys(modes).join(', ')}`);
const rate = Number(args.rate);
const durationSeconds = Number(args.duration);
const authorCount = Number(args.authors);
const streamCount = Math.max(Number(args.streams), authorCount + 1);
const readsDurationSeconds = Number(args['reads-duration']);
const connections = Number(args.connections);
const likesPerRun = Math.round(rate * durationSeconds);
const warmupLikes = Math.min(likesPerRun, rate * 2);
/** how long the events of a run's last likes may take before they count as lost */
const graceMs = 10_000;
/**
 * How long the distributed mode's setup may take to reach the read side and notifications: they apply it at
 * their own pace, which the measured rate may well exceed.
 */
const setupCapMs = 900_000;

interface Seeded {
  /** one per account; the authors' first */
  tokens: string[];
  /** the likes of each run: a post of its own each, liked by an account that is not its author */
  runs: { postId: string; token: string }[][];
}

async function seed(store: ReturnType<typeof openSqliteEventStore>, keys: KeyStore): Promise<Seeded> {
  const at = (offsetMs: number) => new Date(Date.now() - 86_400_000 + offsetMs).toISOString();
  const userIds = Array.from({ length: streamCount }, () => newId());
  await inChunks(userIds, 500, (userId) =>
    append(store, streamIds.user(userId), {
      type: 'UserRegistered',
      data: {
        userId,
        userName: `u${userId.replaceAll('-', '').slice(-20)}`,
        name: 'Bench User',
        bio: '',
        profilePic: 'https://img.example/default.png',
        registeredAt: at(0),
      },
    }),
  );
  // A live session per account, as a login leaves it: the gateway's token check reads it.
  const issuer = new AccessTokenIssuer(keys, 3600);
  const sessions = userIds.map((userId) => ({ userId, sessionId: newId() }));
  await inChunks(sessions, 500, ({ userId, sessionId }) =>
    append(store, streamIds.session(sessionId), {
      type: 'SessionStarted',
      data: {
        sessionId,
        userId,
        refreshTokenHash: 'bench',
        startedAt: at(1),
        expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      },
    }),
  );
  const tokens = await Promise.all(sessions.map((session) => issuer.issue(session, new Date())));
  const likeCount = warmupLikes + 2 * likesPerRun;
  const posts = Array.from({ length: likeCount }, (_, i) => ({
    postId: newId(),
    authorId: userIds[i % authorCount] as string,
    createdAt: at(1000 + i),
  }));
  await inChunks(posts, 1000, ({ postId, authorId, createdAt }) =>
    append(store, streamIds.post(postId), {
      type: 'PostCreated',
      data: { postId, authorId, photo: 'https://img.example/p.jpg', caption: 'bench', createdAt },
    }),
  );
  const likers = tokens.slice(authorCount);
  const likes = posts.map(({ postId }, i) => ({ postId, token: likers[i % likers.length] as string }));
  return {
    tokens,
    runs: [
      likes.slice(0, warmupLikes),
      likes.slice(warmupLikes, warmupLikes + likesPerRun),
      likes.slice(warmupLikes + likesPerRun),
    ],
  };
}

/** The forked clients: one command at a time, each answered once. */
function clients() {
  const child = fork(new URL('./notification-clients.ts', import.meta.url));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    send<K extends ClientAnswer['kind']>(
      command: ClientCommand,
    ): Promise<Extract<ClientAnswer, { kind: K }>> {
      return new Promise((resolve, reject) => {
        const onExit = (code: number | null) => reject(new Error(`the stream clients exited with ${code}`));
        child.once('exit', onExit);
        child.once('message', (answer) => {
          child.off('exit', onExit);
          resolve(answer as Extract<ClientAnswer, { kind: K }>);
        });
        child.send(command);
      });
    },
    async stop() {
      child.kill();
      await exited;
    },
  };
}

type StreamClients = ReturnType<typeof clients>;
type Likes = Extract<ClientCommand, { kind: 'likes' }>['likes'];

/** Sends `likes` at the steady rate through the gateway at `url`, timing each to its author's stream. */
async function likeRun(streamClients: StreamClients, url: string, name: string, likes: Likes) {
  const answer = await streamClients.send<'liked'>({ kind: 'likes', url, likes, rate, graceMs });
  const p50 = percentile(answer.latenciesMs, 50);
  const p99 = percentile(answer.latenciesMs, 99);
  console.log(
    `${name}: ${answer.sent} likes at ${Math.round(answer.likesPerSec)}/s, ${answer.heard} heard on the streams, ` +
      `${answer.failed} failed; like to stream p50 ${p50?.toFixed(1)} ms, p99 ${p99?.toFixed(1)} ms; ` +
      `load average ${loadavg()[0]?.toFixed(2)}`,
  );
  return { ...answer, p50: p50 ?? 0, p99: p99 ?? 0, lost: answer.sent - answer.heard - answer.failed };
}

/** Resident and heap bytes of this process (the server), after a full garbage collection when exposed. */
function memory(): { rss: number; heap: number } {
  globalThis.gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heap: heapUsed };
}

const mib = (bytes: number) => bytes / 1024 / 1024;
/** how many streams the clients open at a time */
const openConcurrency = 100;

/** The embedded mode; answers the figures. */
async function embedded(): Promise<Metric[]> {
  const dir = mkdtempSync(join(tmpdir(), 'gram-notifications-bench-'));
  const store = openSqliteEventStore({ path: join(dir, 'events.sqlite'), syncInBackground: true }); // as main.ts opens it
  const keys = await KeyStore.generate();
  const apps: ServiceApp[] = [];
  const streamClients = clients();
  try {
    console.log(
      `seeding ${streamCount} accounts with sessions, ${warmupLikes + 2 * likesPerRun} posts of ` +
        `${authorCount} authors into ${dir}`,
    );
    const seeded = await seed(store, keys);
    const unlimited = 1_000_000_000;
    const started = performance.now();
    const app = await buildEmbeddedApp({
      store,
      keys,
      dataKeys: inMemoryDataKeys(),
      media: { storage: diskMediaStorage(join(dir, 'media')), publicUrl: 'http://localhost:8080' },
      rateLimits: { writesPerUserPerMinute: unlimited },
    });
    apps.push(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    console.log(
      `embedded app rebuilt from the log and listening in ${Math.round(performance.now() - started)} ms`,
    );

    const authorTokens = seeded.tokens.slice(0, authorCount);
    const opened = await streamClients.send<'opened'>({
      kind: 'open',
      url,
      tokens: authorTokens,
      concurrency: openConcurrency,
    });
    const [warmup, firstRun, secondRun] = seeded.runs as [Likes, Likes, Likes];
    await likeRun(streamClients, url, 'warm-up', warmup);
    const few = await likeRun(streamClients, url, `${opened.open} streams open`, firstRun);

    const before = memory();
    const all = await streamClients.send<'opened'>({
      kind: 'open',
      url,
      tokens: seeded.tokens.slice(authorCount),
      concurrency: openConcurrency,
    });
    const held = memory();
    const perStream = (bytes: number) => bytes / Math.max(1, all.open - opened.open) / 1024;
    console.log(
      `${all.open} streams open (${all.failed} refused): server resident ${mib(held.rss).toFixed(0)} MiB ` +
        `(+${perStream(held.rss - before.rss).toFixed(1)} KiB per stream), heap ${mib(held.heap).toFixed(0)} MiB ` +
        `(+${perStream(held.heap - before.heap).toFixed(1)} KiB per stream)`,
    );
    const many = await likeRun(streamClients, url, `${all.open} streams open`, secondRun);
    await streamClients.send<'closed'>({ kind: 'close' });

    const reads = { kind: 'paths' as const, url, tokens: authorTokens, paths: ['/api/v1/notifications'] };
    await load({ ...reads, connections, durationSeconds: 2 });
    // The server's CPU per read as well: on a machine doing other work, it moves far less than reads/s do.
    const cpuBefore = process.cpuUsage();
    const read = await load({ ...reads, connections, durationSeconds: readsDurationSeconds });
    const cpu = process.cpuUsage(cpuBefore);
    const cpuPerRead = (cpu.user + cpu.system) / Math.max(1, read.requests);
    console.log(
      `GET /notifications: ${Math.round(read.reqPerSec)} req/s, p50 ${read.p50} ms, p99 ${read.p99} ms, ` +
        `server CPU ${cpuPerRead.toFixed(0)} µs a read, ` +
        `non-2xx ${read.non2xx}, errors ${read.errors}, ${Math.round(read.bytesPerResponse)} bytes a response`,
    );

    return [
      { metric: "like to stream p50, ms (the authors' streams)", now: few.p50, better: 'lower' },
      { metric: "like to stream p99, ms (the authors' streams)", now: few.p99, better: 'lower', target: 50 },
      { metric: 'likes/s sent', now: few.likesPerSec, better: 'higher', target: rate * 0.95 },
      { metric: 'open streams', now: all.open, better: 'higher', target: streamCount },
      { metric: 'server resident with them, MiB', now: mib(held.rss), better: 'lower' },
      { metric: 'resident per stream, KiB', now: perStream(held.rss - before.rss), better: 'lower' },
      { metric: 'heap per stream, KiB', now: perStream(held.heap - before.heap), better: 'lower' },
      { metric: 'like to stream p50, ms (every stream open)', now: many.p50, better: 'lower' },
      { metric: 'like to stream p99, ms (every stream open)', now: many.p99, better: 'lower', target: 50 },
      {
        metric: 'likes lost or failed',
        now: few.lost + few.failed + many.lost + many.failed,
        better: 'lower',
        target: 0,
      },
      { metric: 'GET /notifications req/s', now: read.reqPerSec, better: 'higher', target: 3_000 },
      { metric: 'GET /notifications p99, ms', now: read.p99, better: 'lower', target: 20 },
      { metric: 'GET /notifications server CPU a read, µs', now: cpuPerRead, better: 'lower' },
      { metric: 'GET /notifications non-2xx', now: read.non2xx + read.errors, better: 'lower', target: 0 },
    ];
  } finally {
    await streamClients.stop();
    for (const app of apps) await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A POST through the gateway: its body and consistency token; throws with the problem when it is not 2xx. */
async function post(
  url: string,
  path: string,
  body: unknown,
  token?: string,
): Promise<{ body: Record<string, unknown>; consistencyToken: string | null }> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(answer)}`);
  return { body: answer, consistencyToken: res.headers.get('x-consistency-token') };
}

const password = 'correct horse battery staple';

/** An access token of each account, logged in through the gateway. */
async function logIn(url: string, userNames: readonly string[]): Promise<string[]> {
  const tokens: string[] = [];
  await inChunks([...userNames.keys()], 10, async (i) => {
    tokens[i] = (await post(url, '/api/v1/auth/login', { login: userNames[i], password })).body
      .accessToken as string;
  });
  return tokens;
}

/**
 * The distributed mode's accounts and posts, made through the gateway as clients make them (its log is the
 * services' own, not seeded beside them): `authors` authors, as many likers, and a post of the authors' for each
 * like of the warm-up and the measured run. Resolves once the read side has the last post (so the relay has
 * published everything before it), or throws after `capMs`.
 */
async function setUpThroughGateway(
  url: string,
  capMs: number,
): Promise<{ userNames: string[]; postIds: string[] }> {
  const tag = randomBytes(3).toString('hex');
  const phone = String(randomInt(10_000_000, 99_999_999));
  const userNames = Array.from(
    { length: 2 * authorCount },
    (_, i) => `bench${tag}_${String(i).padStart(5, '0')}`,
  );
  await inChunks([...userNames.keys()], 10, async (i) => {
    const n = String(i).padStart(5, '0');
    await post(url, '/api/v1/auth/signup', {
      name: `Bench ${n}`,
      userName: userNames[i],
      email: `bench${tag}.${n}@example.com`,
      phoneNo: `+49${phone}${n}`,
      password,
    });
  });
  const authorTokens = await logIn(url, userNames.slice(0, authorCount));
  const postIds: string[] = [];
  await inChunks(
    Array.from({ length: warmupLikes + likesPerRun }, (_, i) => i),
    50,
    async (i) => {
      const made = await post(
        url,
        '/api/v1/posts',
        { photo: `https://img.example.com/${tag}/${i}.jpg`, caption: 'bench' },
        authorTokens[i % authorCount],
      );
      postIds[i] = made.body.id as string;
    },
  );
  // One more post, appended after every other: once the read side has it, the relay has published them all.
  const { body, consistencyToken } = await post(
    url,
    '/api/v1/posts',
    { photo: `https://img.example.com/${tag}/last.jpg`, caption: 'bench' },
    authorTokens[0],
  );
  for (const deadline = Date.now() + capMs; ; await sleep(100)) {
    const res = await fetch(`${url}/api/v1/posts/${body.id as string}`, {
      headers: { 'x-consistency-token': consistencyToken ?? '' },
    });
    await res.arrayBuffer();
    if (res.headers.get('x-read-consistency') === 'applied') break;
    if (Date.now() > deadline) throw new Error(`the read side did not apply the setup within ${capMs} ms`);
  }
  return { userNames, postIds };
}

/**
 * Waits until the consumer group `groupId` has committed every partition's current end of the topics it reads:
 * what was published so far is applied. The relay writes in transactions, so a partition's last record is a
 * commit marker, one past its last event: committed >= end - 1 covers it.
 */
async function groupCaughtUp(brokers: string[], groupId: string, capMs: number): Promise<void> {
  const admin = createKafka({ brokers, clientId: 'notifications-bench', logger: silentLogger }).admin();
  await admin.connect();
  try {
    const ends = new Map<string, Map<number, number>>();
    for (const { topic } of await admin.fetchOffsets({ groupId })) {
      const offsets = await admin.fetchTopicOffsets(topic);
      ends.set(topic, new Map(offsets.map(({ partition, high }) => [partition, Number(high)])));
    }
    for (const deadline = Date.now() + capMs; ; await sleep(250)) {
      const committed = await admin.fetchOffsets({ groupId, topics: [...ends.keys()] });
      const done = committed.every(({ topic, partitions }) =>
        partitions.every(
          ({ partition, offset }) => Number(offset) >= (ends.get(topic)?.get(partition) ?? 0) - 1,
        ),
      );
      if (done) return;
      if (Date.now() > deadline) throw new Error(`${groupId} has not caught up within ${capMs} ms`);
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * A lag histogram of one service, from its /metrics: bucket upper bound (seconds) to count. The relay's
 * (`gram_relay_lag_seconds`, append to published) and the notifications consumer's
 * (`gram_notifications_lag_seconds`, append to applied).
 */
async function lagHistogram(
  system: DistributedSystem,
  service: 'relay' | 'notifications',
): Promise<Map<number, number>> {
  const res = await fetch(`${system.urls[service]}/metrics`, {
    headers: { 'x-internal-service-secret': system.internalSecret },
  });
  const pattern = new RegExp(
    `^gram_${service}_lag_seconds_bucket\\{(?:[^}]*,)?le="([^"]+)"[^}]*\\} (\\S+)$`,
    'gm',
  );
  const buckets = new Map<number, number>();
  for (const [, le, count] of (await res.text()).matchAll(pattern))
    buckets.set(le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), Number(count));
  return buckets;
}

/**
 * The `q` quantile (0..1) of what a histogram observed between two readings, in ms: the upper bound of the
 * bucket it falls in (so "at most"), NaN when nothing was observed.
 */
function quantileBetween(before: Map<number, number>, after: Map<number, number>, q: number): number {
  const total = (after.get(Number.POSITIVE_INFINITY) ?? 0) - (before.get(Number.POSITIVE_INFINITY) ?? 0);
  if (total <= 0) return Number.NaN;
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const bound = bounds.find((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0) >= q * total);
  return bound === undefined ? Number.NaN : bound * 1_000;
}

/** The distributed mode; answers the figures. */
async function distributed(): Promise<Metric[]> {
  const dir = mkdtempSync(join(tmpdir(), 'gram-notifications-bench-distributed-'));
  const servers = await startTestServers(['kafka', 'mongo', 'redis'], { strict: true });
  const streamClients = clients();
  try {
    console.log(`\n${servers.summary}`);
    const brokers = (servers.env.KAFKA_BROKERS as string).split(',');
    const started = performance.now();
    const system = await startDistributed({
      servers: {
        kafkaBrokers: brokers,
        mongoUrl: servers.env.MONGO_URL as string,
        redisUrl: servers.env.REDIS_URL as string,
      },
      runDir: dir,
      gatewayEnv: { WRITES_PER_USER_PER_MINUTE: '1000000000' },
      identityEnv: { SIGNUPS_PER_IP: '1000000000' },
    });
    try {
      const url = system.url;
      console.log(
        `distributed system started in ${Math.round(performance.now() - started)} ms; gateway ${url}`,
      );
      console.log(
        `signing up ${2 * authorCount} accounts, making ${warmupLikes + likesPerRun} posts of ${authorCount} ` +
          'authors through the gateway',
      );
      const setupStarted = performance.now();
      const { userNames, postIds } = await setUpThroughGateway(url, setupCapMs);
      // A like applied before its post would notify nobody: the measured likes find everything in place.
      await groupCaughtUp(brokers, `notifications-${system.runId}`, setupCapMs);
      console.log(
        `setup made and applied by the read side and notifications in ${Math.round((performance.now() - setupStarted) / 1000)} s`,
      );
      // Logged in now, not at signup: a slow setup would leave the tokens little of their lifetime.
      const tokens = await logIn(url, userNames);
      const authorTokens = tokens.slice(0, authorCount);
      const likers = tokens.slice(authorCount);
      const likes = postIds.map((postId, i) => ({ postId, token: likers[i % likers.length] as string }));
      const [warmup, measured] = [likes.slice(0, warmupLikes), likes.slice(warmupLikes)];
      const opened = await streamClients.send<'opened'>({
        kind: 'open',
        url,
        tokens: authorTokens,
        concurrency: openConcurrency,
      });
      console.log(`${opened.open} streams open through the gateway (${opened.failed} refused)`);
      await likeRun(streamClients, url, 'distributed warm-up', warmup);
      // Where the time goes: the relay's share (append to Kafka's acknowledgement), then the notifications
      // consumer's (append to applied, the relay's share included); the rest is the stream sending it through
      // the gateway.
      const lags = () => Promise.all([lagHistogram(system, 'relay'), lagHistogram(system, 'notifications')]);
      const [relayBefore, appliedBefore] = await lags();
      const run = await likeRun(streamClients, url, `distributed, ${opened.open} streams open`, measured);
      const [relayAfter, appliedAfter] = await lags();
      const relayP50 = quantileBetween(relayBefore, relayAfter, 0.5);
      const relayP99 = quantileBetween(relayBefore, relayAfter, 0.99);
      const appliedP50 = quantileBetween(appliedBefore, appliedAfter, 0.5);
      const appliedP99 = quantileBetween(appliedBefore, appliedAfter, 0.99);
      console.log(`of which append to published (relay): p50 <= ${relayP50} ms, p99 <= ${relayP99} ms`);
      console.log(
        `of which append to applied (notifications): p50 <= ${appliedP50} ms, p99 <= ${appliedP99} ms`,
      );
      await streamClients.send<'closed'>({ kind: 'close' });
      return [
        { metric: 'distributed like to stream p50, ms', now: run.p50, better: 'lower' },
        { metric: 'distributed like to stream p99, ms', now: run.p99, better: 'lower', target: 250 },
        {
          metric: 'distributed append to published p99 (relay), ms, at most',
          now: relayP99,
          better: 'lower',
        },
        {
          metric: 'distributed append to applied p99 (notifications), ms, at most',
          now: appliedP99,
          better: 'lower',
        },
        { metric: 'distributed likes/s sent', now: run.likesPerSec, better: 'higher', target: rate * 0.95 },
        { metric: 'distributed likes sent', now: run.sent, better: 'higher' },
        {
          metric: 'distributed likes lost or failed',
          now: run.lost + run.failed,
          better: 'lower',
          target: 0,
        },
      ];
    } finally {
      await system.stop();
    }
  } finally {
    await streamClients.stop();
    await servers.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

let ok = true;
const figures: { name: string; metrics: Metric[] }[] = [];
for (const which of modes[mode]) {
  if (which === 'embedded') figures.push({ name: 'notifications', metrics: await embedded() });
  else figures.push({ name: 'notifications-distributed', metrics: await distributed() });
}
console.log(`\n${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
for (const { name, metrics } of figures) {
  console.log(`\n${name}`);
  ok = report(name, metrics) && ok;
}
process.exitCode = ok ? 0 : 1;
