/**
 * Benchmark of the gateway in the embedded mode: feed reads, post reads, likes and post creation
 * over real HTTP through the gateway, and the same requests sent straight to the service that owns
 * them (the query API for reads, content for writes), in the same run, on the same event store and
 * the same read models. The ratio of the two is the gateway's overhead.
 *
 *   pnpm bench gateway [--save-baseline] [--duration 8] [--connections 16] [--users 1000]
 *
 * Everything serves from this one process: the embedded gateway (every route plugin, the edge with
 * its metrics and rate limits, raised out of the way), a standalone projections app over the very
 * read models the gateway reads, and a standalone content app over the same SQLite store. autocannon
 * runs in a forked process so the load generator never shares the servers' event loop. The store is
 * seeded with users (each with a live session, as a login leaves it), follows and posts, then the
 * read models are rebuilt from it as at any start. Every like is a first like: each run likes posts
 * of its own, and no (post, user) pair repeats. Each scenario runs in halves, direct, gateway, gateway,
 * direct, so that the growth of the store and the read models along the run weighs on both alike.
 * Figures are printed beside bench/baseline.json; --save-baseline records this run there.
 *
 * What differs between the two paths, besides the edge (metrics, rate limits, routing): the gateway
 * checks a token's session and account against identity's streams on every request (two reads of the
 * SQLite store; a logged-out session is refused at once), and reuses the signature check of a token
 * it has already verified. The query API checks the signature on every request and only whether the
 * read model knows the account deleted; content reuses signature checks and reads the account stream.
 * Each is served as its own standalone app is, so the ratio is what a client sees.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildContentApp } from '@gram/content';
import { type EventStore, openSqliteEventStore } from '@gram/event-store';
import { streamIds } from '@gram/events';
import { AccessTokenIssuer, KeyStore } from '@gram/identity';
import { diskMediaStorage } from '@gram/media';
import { type DataKeyStore, DataKeys, inMemoryDataKeys } from '@gram/personal-data';
import { buildProjectionsApp, fixedReadModels, startEmbeddedProjections } from '@gram/projections';
import { jwksAccessTokenVerifier, newId, type ServiceApp } from '@gram/service-kit';
import { buildEmbeddedApp } from '../src/embedded-app.js';
import { append, inChunks, type LoadFigures, load, profiled, type Scenario } from './driver.js';

const { values: args } = parseArgs({
  options: {
    'save-baseline': { type: 'boolean', default: false },
    duration: { type: 'string', default: '8' },
    connections: { type: 'string', default: '16' },
    users: { type: 'string', default: '1000' },
    /** only the scenarios whose key is listed (feed, post, like, createPost), comma-separated */
    only: { type: 'string' },
    /** write a CPU profile of the servers for each measured run into this directory */
    profile: { type: 'string' },
  },
});
const durationSeconds = Number(args.duration);
const connections = Number(args.connections);
const userCount = Number(args.users);
const followsPerUser = 50;
const postsPerUser = 5;
/** posts liked in one run (a warm-up or a measured half): posts × users distinct first likes */
const likedPostsPerRun = 30;
/** one warm-up and two measured halves per target */
const likeRuns = 6;

const baselinePath = new URL('./baseline.json', import.meta.url);
const targets = { feedReqPerSec: 5000, feedP99Ms: 20, overhead: 1.3 };

interface Seeded {
  tokens: string[];
  postIds: string[];
  /** a set of posts no one likes yet for each run of the likes scenario */
  likePosts: string[][];
}

async function seed(store: EventStore, keys: KeyStore, dataKeys: DataKeyStore): Promise<Seeded> {
  const at = (offsetMs: number) => new Date(Date.now() - 86_400_000 + offsetMs).toISOString();
  const userIds = Array.from({ length: userCount }, () => newId());
  // Each account's data key, as identity's signup makes it: content encrypts captions and comments under it.
  for (const userId of userIds) await dataKeys.create(userId);
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
  // A live session per user, as a login leaves it: the gateway's token check reads it.
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

  const follows = userIds.flatMap((followerId, i) =>
    Array.from({ length: followsPerUser }, (_, k) => ({
      followerId,
      followeeId: userIds[(i + 1 + k) % userIds.length] as string,
    })),
  );
  await inChunks(follows, 1000, ({ followerId, followeeId }) =>
    append(store, streamIds.follow(followerId, followeeId), {
      type: 'UserFollowed',
      data: { followerId, followeeId, followedAt: at(2) },
    }),
  );

  const posts = Array.from({ length: userCount * postsPerUser + likeRuns * likedPostsPerRun }, (_, i) => ({
    postId: newId(),
    authorId: userIds[i % userIds.length] as string,
    createdAt: at(1000 + i),
  }));
  await inChunks(posts, 1000, ({ postId, authorId, createdAt }) =>
    append(store, streamIds.post(postId), {
      type: 'PostCreated',
      data: { postId, authorId, photo: 'https://img.example/p.jpg', caption: 'bench', createdAt },
    }),
  );
  const postIds = posts.map((post) => post.postId);
  return {
    tokens,
    postIds: postIds.slice(0, userCount * postsPerUser),
    likePosts: Array.from({ length: likeRuns }, (_, run) =>
      postIds.slice(userCount * postsPerUser + run * likedPostsPerRun).slice(0, likedPostsPerRun),
    ),
  };
}

/** One run's figures, plus the servers' CPU time per request (steadier than req/s on a shared machine). */
type Measured = LoadFigures & { cpuMicros: number };

/** Two halves of a measurement as one: requests and CPU added up, rates and percentiles averaged. */
function combined(halves: Measured[]): Measured {
  const sum = (pick: (m: Measured) => number) => halves.reduce((total, m) => total + pick(m), 0);
  const mean = (pick: (m: Measured) => number) => sum(pick) / halves.length;
  const requests = sum((m) => m.requests);
  return {
    requests,
    reqPerSec: mean((m) => m.reqPerSec),
    p50: mean((m) => m.p50),
    p99: mean((m) => m.p99),
    non2xx: sum((m) => m.non2xx),
    errors: sum((m) => m.errors),
    timeouts: sum((m) => m.timeouts),
    bytesPerResponse: sum((m) => m.bytesPerResponse * m.requests) / Math.max(1, requests),
    cpuMicros: sum((m) => m.cpuMicros * m.requests) / Math.max(1, requests),
  };
}

async function measure(name: string, scenario: Scenario, caughtUp: () => Promise<void>): Promise<Measured> {
  const before = process.cpuUsage();
  const figures = await profiled(args.profile, `gateway-${name}`, async () => {
    const result = await load(scenario);
    // The CPU of projecting the run's writes is the run's, whichever target took them.
    await caughtUp();
    return result;
  });
  const used = process.cpuUsage(before);
  return { ...figures, cpuMicros: (used.user + used.system) / Math.max(1, figures.requests) };
}

async function listen(app: ServiceApp): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

type Figures = Record<string, number>;

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'gram-gateway-bench-'));
  const store = openSqliteEventStore({ path: join(dir, 'events.sqlite'), syncInBackground: true }); // as main.ts opens it
  const keys = await KeyStore.generate();
  const apps: ServiceApp[] = [];
  let projections: Awaited<ReturnType<typeof startEmbeddedProjections>> | undefined;
  try {
    console.log(
      `seeding ${userCount} users with sessions, ${userCount * followsPerUser} follows, ` +
        `${userCount * postsPerUser} posts into ${dir}`,
    );
    const dataKeys = inMemoryDataKeys();
    const seeded = await seed(store, keys, dataKeys);
    const started = performance.now();
    projections = await startEmbeddedProjections(store, {
      dataKeys: new DataKeys((accountId) => dataKeys.get(accountId)),
    });
    console.log(`read models rebuilt from the log in ${Math.round(performance.now() - started)} ms`);

    const verifier = jwksAccessTokenVerifier(keys.jwks());
    const unlimited = 1_000_000_000;
    const gateway = await buildEmbeddedApp({
      store,
      keys,
      dataKeys,
      projections,
      media: { storage: diskMediaStorage(join(dir, 'media')), publicUrl: 'http://localhost:8080' },
      rateLimits: { writesPerUserPerMinute: unlimited },
      accessLimits: {
        loginFailuresPerAccountAndAddress: unlimited,
        loginFailuresPerAccount: unlimited,
        loginFailuresPerAddress: unlimited,
        signupsPerAddress: unlimited,
      },
    });
    const queryApi = buildProjectionsApp({
      readModels: fixedReadModels(projections.store),
      verifier,
      applied: projections.applied,
    });
    const content = buildContentApp({
      store,
      verifier,
      dataKeys: new DataKeys((accountId) => dataKeys.get(accountId)),
      // The benchmark's texts mention nobody.
      mentions: { accountsNamed: async () => [] },
    });
    apps.push(gateway, queryApi, content);
    const urls = {
      gateway: await listen(gateway),
      projections: await listen(queryApi),
      content: await listen(content),
    };

    const { tokens, postIds, likePosts } = seeded;
    const unlikedPosts = () => {
      const set = likePosts.shift();
      if (!set) throw new Error('no unliked posts left for another run of likes');
      return set;
    };
    const scenarios: {
      name: string;
      key: string;
      owner: 'projections' | 'content';
      of: (url: string) => Scenario;
    }[] = [
      {
        name: 'feed reads',
        key: 'feed',
        owner: 'projections',
        of: (url) => ({ kind: 'feed', url, tokens, connections, durationSeconds }),
      },
      {
        name: 'post reads',
        key: 'post',
        owner: 'projections',
        of: (url) => ({ kind: 'post', url, tokens, postIds, connections, durationSeconds }),
      },
      {
        name: 'likes',
        key: 'like',
        owner: 'content',
        of: (url) => ({ kind: 'like', url, tokens, postIds: unlikedPosts(), connections, durationSeconds }),
      },
      {
        name: 'post creation',
        key: 'createPost',
        owner: 'content',
        of: (url) => ({ kind: 'create-post', url, tokens, connections, durationSeconds }),
      },
    ];

    const chosen = args.only?.split(',');
    if (chosen) scenarios.splice(0, scenarios.length, ...scenarios.filter((s) => chosen.includes(s.key)));
    /** Writes are projected in this process too: wait until the read models caught up before the next run. */
    const caughtUp = async () => {
      const head = await store.headPosition();
      while ((projections?.applied.highest ?? head) < head)
        await new Promise((resolve) => setTimeout(resolve, 10));
    };

    console.log('warming up every route on both targets...');
    for (const scenario of scenarios) {
      for (const target of ['gateway', 'direct'] as const) {
        const url = target === 'gateway' ? urls.gateway : urls[scenario.owner];
        await load({ ...scenario.of(url), durationSeconds: 2 });
        await caughtUp();
      }
    }

    const now: Figures = {};
    const rows: string[][] = [];
    let errors = 0;
    for (const scenario of scenarios) {
      // Two halves each, in the order direct, gateway, gateway, direct: whatever drifts along the run
      // (the store and the read models grow with every write) weighs on both targets alike.
      const halves: Record<'gateway' | 'direct', Measured[]> = { gateway: [], direct: [] };
      for (const [i, target] of (['direct', 'gateway', 'gateway', 'direct'] as const).entries()) {
        const url = target === 'gateway' ? urls.gateway : urls[scenario.owner];
        const half = { ...scenario.of(url), durationSeconds: durationSeconds / 2 };
        const figures = await measure(`${scenario.key}-${target}-${i}`, half, caughtUp);
        console.log(
          `${scenario.name} via ${target === 'gateway' ? 'the gateway' : scenario.owner} (${durationSeconds / 2}s): ` +
            `${Math.round(figures.reqPerSec)} req/s, p50 ${figures.p50} ms, p99 ${figures.p99} ms, ` +
            `non-2xx ${figures.non2xx}, errors ${figures.errors}; load average ${loadavg()[0]?.toFixed(2)}`,
        );
        halves[target].push(figures);
      }
      const results = { gateway: combined(halves.gateway), direct: combined(halves.direct) };
      for (const target of ['direct', 'gateway'] as const) {
        const figures = results[target];
        errors += figures.non2xx + figures.errors;
        rows.push([
          scenario.name,
          target === 'gateway' ? 'gateway' : scenario.owner,
          String(Math.round(figures.reqPerSec)),
          figures.p50.toFixed(1),
          figures.p99.toFixed(1),
          String(Math.round(figures.cpuMicros)),
          String(figures.non2xx + figures.errors),
        ]);
      }
      const { gateway: via, direct } = results;
      now[`${scenario.key}GatewayReqPerSec`] = via.reqPerSec;
      now[`${scenario.key}GatewayP50Ms`] = via.p50;
      now[`${scenario.key}GatewayP99Ms`] = via.p99;
      now[`${scenario.key}DirectReqPerSec`] = direct.reqPerSec;
      now[`${scenario.key}DirectP99Ms`] = direct.p99;
      now[`${scenario.key}Overhead`] = direct.reqPerSec / via.reqPerSec;
      now[`${scenario.key}CpuOverhead`] = via.cpuMicros / direct.cpuMicros;
      rows.push([
        '',
        'overhead',
        `${(direct.reqPerSec / via.reqPerSec).toFixed(2)}x`,
        `${(via.p50 / direct.p50).toFixed(2)}x`,
        `${(via.p99 / direct.p99).toFixed(2)}x`,
        `${(via.cpuMicros / direct.cpuMicros).toFixed(2)}x`,
        '',
      ]);
    }

    console.log(
      `\n${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, ${connections} connections`,
    );
    printTable(['scenario', 'served by', 'req/s', 'p50 ms', 'p99 ms', 'cpu µs/req', 'errors'], rows);
    console.log('(overhead rows: direct req/s ÷ gateway req/s; latency and CPU: gateway ÷ direct)\n');
    const met = printTargets(now, readBaseline());
    if (errors > 0) console.error(`FAILED: ${errors} requests answered an error or failed`);
    if (errors > 0 || !met) process.exitCode = 1;
    if (args['save-baseline']) {
      writeFileSync(
        baselinePath,
        `${JSON.stringify(
          {
            recordedAt: new Date().toISOString(),
            machine: `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
            settings: { connections, durationSeconds, users: userCount },
            figures: Object.fromEntries(Object.entries(now).map(([k, v]) => [k, Number(v.toFixed(3))])),
          },
          null,
          2,
        )}\n`,
      );
      console.log(`baseline saved to ${baselinePath.pathname}`);
    }
  } finally {
    for (const app of apps) await app.close();
    await projections?.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function readBaseline(): Figures | undefined {
  if (!existsSync(baselinePath)) return undefined;
  return (JSON.parse(readFileSync(baselinePath, 'utf8')) as { figures: Figures }).figures;
}

function printTable(header: string[], rows: string[][]): void {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  for (const row of all) console.log(row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | '));
}

/** The figures beside the baseline and the targets; whether every target was met. */
function printTargets(now: Figures, baseline: Figures | undefined): boolean {
  const checks: [string, number, 'higher' | 'lower', number | undefined][] = [
    ['feedGatewayReqPerSec', now.feedGatewayReqPerSec ?? 0, 'higher', targets.feedReqPerSec],
    ['feedGatewayP99Ms', now.feedGatewayP99Ms ?? 0, 'lower', targets.feedP99Ms],
    ...Object.keys(now)
      .filter((key) => key.endsWith('Overhead') && !key.endsWith('CpuOverhead'))
      .map((key): [string, number, 'higher' | 'lower', number] => [
        key,
        now[key] ?? 0,
        'lower',
        targets.overhead,
      ]),
  ];
  const rows: string[][] = [];
  let allMet = true;
  const format = (n: number | undefined) =>
    n === undefined ? '-' : n >= 100 ? String(Math.round(n)) : n.toFixed(2);
  for (const [metric, value, better, target] of checks) {
    const met = target === undefined ? undefined : better === 'higher' ? value >= target : value <= target;
    if (met === false) allMet = false;
    rows.push([
      metric,
      format(value),
      format(baseline?.[metric]),
      target === undefined ? '-' : `${better === 'higher' ? '>=' : '<='} ${target}`,
      met === undefined ? '-' : met ? 'yes' : 'NO',
    ]);
  }
  printTable(['target', 'now', 'baseline', 'target', 'ok'], rows);
  return allMet;
}

await main();
