/**
 * Benchmark of the content service: like-a-post, create-a-post and comment over real HTTP.
 *
 *   pnpm --dir services/content bench [--save-baseline] [--duration 10] [--connections 32] [--profile DIR]
 *
 * The app runs here, in the embedded configuration (SQLite event store on a temp file, tokens
 * verified through a local JWKS as the gateway does in one process); autocannon runs in a forked
 * process so the load generator never shares the server's event loop. Every like is a real first
 * like: each request pairs a different user (pre-minted token) with a post, and no pair repeats.
 * The figures are printed beside bench/baseline.json; --save-baseline records this run there.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openSqliteEventStore } from '@gram/event-store';
import { streamIds } from '@gram/events';
import { DataKeys, generateMasterKey, LocalMasterKey, SqliteDataKeyStore } from '@gram/personal-data';
import { newId } from '@gram/service-kit';
import { createTestTokenIssuer } from '@gram/service-kit/testing';
// The gateway benchmark's driver and load generator (apps/embedded/bench), which also know the content service's scenarios.
import {
  append,
  inChunks,
  type LoadFigures,
  load,
  profiled,
  type Scenario,
} from '../../../apps/embedded/bench/driver.js';
import { buildContentApp } from '../src/app.js';

const { values: args } = parseArgs({
  options: {
    'save-baseline': { type: 'boolean', default: false },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    users: { type: 'string', default: '5000' },
    /** write a CPU profile of the server for each measured scenario into this directory */
    profile: { type: 'string' },
  },
});
const durationSeconds = Number(args.duration);
const connections = Number(args.connections);
const userCount = Number(args.users);
const benchPosts = 40;
const warmupPosts = 10;

const baselinePath = new URL('./baseline.json', import.meta.url);
const targets = { likeReqPerSec: 3000, likeP99Ms: 50 };

/**
 * One scenario's figures, plus the server's own CPU time per request: throughput on a shared
 * machine moves with whatever else runs on it, the CPU the server spends on a request much less.
 */
async function measure(scenario: Scenario): Promise<LoadFigures & { cpuMicrosPerRequest: number }> {
  const before = process.cpuUsage();
  const figures = await load(scenario);
  const used = process.cpuUsage(before);
  console.log(`  load average (1 min) after the run: ${loadavg()[0]?.toFixed(2)} on ${cpus().length} cores`);
  return { ...figures, cpuMicrosPerRequest: (used.user + used.system) / Math.max(1, figures.requests) };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'gram-content-bench-'));
  const store = openSqliteEventStore({ path: join(dir, 'events.sqlite') });
  const issuer = await createTestTokenIssuer();
  // The accounts' data keys, as identity makes them at signup: content encrypts captions under them.
  const keys = new SqliteDataKeyStore({
    path: join(dir, 'keys.sqlite'),
    masterKey: LocalMasterKey.fromBase64(generateMasterKey()),
  });
  const app = buildContentApp({
    store,
    verifier: issuer.verifier,
    dataKeys: new DataKeys((accountId) => keys.get(accountId)),
    // The benchmark's texts mention nobody.
    mentions: { accountsNamed: async () => [] },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  try {
    console.log(`seeding ${userCount} users and ${benchPosts + warmupPosts} posts into ${dir}`);
    const userIds = Array.from({ length: userCount }, () => newId());
    const now = new Date().toISOString();
    for (const userId of userIds) await keys.create(userId);
    await inChunks(userIds, 1000, (userId) =>
      append(store, streamIds.user(userId), {
        type: 'UserRegistered',
        data: {
          userId,
          userName: `u${userId.replaceAll('-', '').slice(-20)}`,
          name: 'Bench User',
          bio: '',
          profilePic: 'https://img.example/default.png',
          registeredAt: now,
        },
      }),
    );
    const tokens = await Promise.all(userIds.map((userId) => issuer.mint(userId, { expiresIn: '1h' })));
    const postIds = Array.from({ length: benchPosts + warmupPosts }, () => newId());
    await inChunks(postIds, 100, (postId) =>
      append(store, streamIds.post(postId), {
        type: 'PostCreated',
        data: {
          postId,
          authorId: userIds[postIds.indexOf(postId) % userIds.length] ?? '',
          photo: 'https://img.example/p.jpg',
          caption: 'bench',
          createdAt: now,
        },
      }),
    );
    const warmup = postIds.slice(0, warmupPosts);
    const measured = postIds.slice(warmupPosts);
    const pairs = measured.length * tokens.length;

    console.log('warming up (likes on separate posts, then posts)...');
    await load({ kind: 'like', url, tokens, postIds: warmup, connections, durationSeconds: 3 });
    await load({ kind: 'create-post', url, tokens, connections, durationSeconds: 2 });

    console.log(
      `like-a-post: ${connections} connections, ${durationSeconds}s (${pairs} distinct first likes available)`,
    );
    const likes = await profiled(args.profile, 'content-like', () =>
      measure({ kind: 'like', url, tokens, postIds: measured, connections, durationSeconds }),
    );
    if (likes.requests > pairs)
      console.warn('  ! more requests than distinct (post, user) pairs: some were repeats');

    // Correctness under load: every 204 was a first like, so the store holds that many, plus at
    // most one per connection for the requests still in flight when autocannon stopped counting.
    const measuredSet = new Set(measured);
    const recorded = (await store.readAll()).filter(
      (e) =>
        e.type === 'PostLiked' && measuredSet.has(e.streamId.slice('like-'.length, e.streamId.indexOf('_'))),
    ).length;
    const answered = likes.requests - likes.non2xx;
    console.log(
      `  likes answered 204: ${answered}, PostLiked recorded: ${recorded}, non-2xx: ${likes.non2xx}, errors: ${likes.errors}`,
    );

    console.log(`create-a-post: ${connections} connections, ${durationSeconds}s`);
    const posts = await profiled(args.profile, 'content-create-post', () =>
      measure({ kind: 'create-post', url, tokens, connections, durationSeconds }),
    );
    console.log(`  non-2xx: ${posts.non2xx}, errors: ${posts.errors}`);

    console.log(`comment: ${connections} connections, ${durationSeconds}s`);
    const comments = await profiled(args.profile, 'content-comment', () =>
      measure({ kind: 'comment', url, tokens, postIds: measured, connections, durationSeconds }),
    );
    console.log(`  non-2xx: ${comments.non2xx}, errors: ${comments.errors}`);

    const now2 = {
      likeReqPerSec: likes.reqPerSec,
      likeP50Ms: likes.p50,
      likeP99Ms: likes.p99,
      likeServerCpuMicros: likes.cpuMicrosPerRequest,
      createPostReqPerSec: posts.reqPerSec,
      createPostP50Ms: posts.p50,
      createPostP99Ms: posts.p99,
      createPostServerCpuMicros: posts.cpuMicrosPerRequest,
      commentReqPerSec: comments.reqPerSec,
      commentP50Ms: comments.p50,
      commentP99Ms: comments.p99,
      commentServerCpuMicros: comments.cpuMicrosPerRequest,
    };
    printTable(now2, readBaseline());
    const likesAddUp = recorded >= answered && recorded <= answered + connections;
    if (!likesAddUp || likes.non2xx > 0 || posts.non2xx > 0 || comments.non2xx > 0) {
      console.error(
        'FAILED: the service answered errors or recorded a different number of likes than it acknowledged',
      );
      process.exitCode = 1;
    }
    if (args['save-baseline']) {
      const baseline: Baseline = {
        recordedAt: new Date().toISOString(),
        machine: `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
        settings: { connections, durationSeconds, users: userCount },
        figures: now2,
      };
      writeFileSync(baselinePath, `${JSON.stringify(baseline, null, 2)}\n`);
      console.log(`baseline saved to ${baselinePath.pathname}`);
    }
  } finally {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

type Figures = Record<
  | 'likeReqPerSec'
  | 'likeP50Ms'
  | 'likeP99Ms'
  | 'likeServerCpuMicros'
  | 'createPostReqPerSec'
  | 'createPostP50Ms'
  | 'createPostP99Ms'
  | 'createPostServerCpuMicros'
  | 'commentReqPerSec'
  | 'commentP50Ms'
  | 'commentP99Ms'
  | 'commentServerCpuMicros',
  number
>;
interface Baseline {
  recordedAt: string;
  machine: string;
  settings: Record<string, number>;
  figures: Figures;
}

function readBaseline(): Baseline | undefined {
  try {
    return JSON.parse(readFileSync(baselinePath, 'utf8')) as Baseline;
  } catch {
    return undefined;
  }
}

function printTable(now: Figures, baseline: Baseline | undefined) {
  const rows: [string, keyof Figures, string, ((v: number) => boolean) | undefined][] = [
    ['like-a-post req/s', 'likeReqPerSec', `>= ${targets.likeReqPerSec}`, (v) => v >= targets.likeReqPerSec],
    ['like-a-post p50 ms', 'likeP50Ms', '-', undefined],
    ['like-a-post p99 ms', 'likeP99Ms', `< ${targets.likeP99Ms}`, (v) => v < targets.likeP99Ms],
    ['like-a-post server CPU us/req', 'likeServerCpuMicros', '-', undefined],
    ['create-a-post req/s', 'createPostReqPerSec', '-', undefined],
    ['create-a-post p50 ms', 'createPostP50Ms', '-', undefined],
    ['create-a-post p99 ms', 'createPostP99Ms', '-', undefined],
    ['create-a-post server CPU us/req', 'createPostServerCpuMicros', '-', undefined],
    ['comment req/s', 'commentReqPerSec', '-', undefined],
    ['comment p50 ms', 'commentP50Ms', '-', undefined],
    ['comment p99 ms', 'commentP99Ms', '-', undefined],
    ['comment server CPU us/req', 'commentServerCpuMicros', '-', undefined],
  ];
  const table = [['metric', 'now', 'baseline', 'ratio', 'target', 'ok']];
  for (const [label, key, target, check] of rows) {
    // A baseline saved before a scenario existed has no figure for it.
    const base: number | undefined = baseline?.figures[key];
    table.push([
      label,
      now[key].toFixed(1),
      base === undefined ? '-' : base.toFixed(1),
      base ? (now[key] / base).toFixed(2) : '-',
      target,
      check ? (check(now[key]) ? 'yes' : 'NO') : '-',
    ]);
  }
  const widths = table[0]?.map((_, c) => Math.max(...table.map((row) => row[c]?.length ?? 0))) ?? [];
  console.log(
    baseline
      ? `\nbaseline: ${baseline.recordedAt} on ${baseline.machine}`
      : '\nno baseline yet (--save-baseline)',
  );
  for (const row of table)
    console.log(`| ${row.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(' | ')} |`);
}

await main();
