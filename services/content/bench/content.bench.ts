/**
 * Benchmark of the content service: like-a-post, create-a-post and comment over real HTTP.
 *
 *   pnpm --dir services/content bench [--save-baseline] [--duration 10] [--connections 32] [--profile DIR]
 *
 * The app runs here, in the embedded configuration (SQLite event store on a temp file, its commits made durable
 * in the background as the embedded mode makes them; tokens verified through a local JWKS as the gateway does in
 * one process); autocannon runs in a forked process so the load generator never shares the server's event loop. Every like is a real first
 * like: each request pairs a different user (pre-minted token) with a post, and no pair repeats.
 * The figures are printed beside bench/baseline.json; --save-baseline records this run there.
 *
 * The profiles and captions in the log are encrypted under their accounts' data keys, as deployed. What that
 * costs is measured in the same run: create-a-post and comment against a second service, the same code with
 * nothing personal (plaintext), in alternating rounds (--rounds, --round-duration).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openSqliteEventStore } from '@gram/event-store';
import { personalFields, streamIds } from '@gram/events';
import {
  DataKeys,
  generateMasterKey,
  LocalMasterKey,
  personalDataEventStore,
  SqliteDataKeyStore,
} from '@gram/personal-data';
import { type AccessTokenVerifier, newId } from '@gram/service-kit';
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
    /** the encryption comparison: rounds of each scenario, encrypted then plaintext (or the reverse) */
    rounds: { type: 'string', default: '5' },
    'round-duration': { type: 'string', default: '4' },
    users: { type: 'string', default: '5000' },
    /** write a CPU profile of the server for each measured scenario into this directory */
    profile: { type: 'string' },
  },
});
const durationSeconds = Number(args.duration);
const connections = Number(args.connections);
const rounds = Number(args.rounds);
const roundSeconds = Number(args['round-duration']);
const userCount = Number(args.users);
const benchPosts = 40;
const warmupPosts = 10;
/** the posts the encryption comparison comments on, apart from the measured phases' */
const comparedPosts = 10;

const baselinePath = new URL('./baseline.json', import.meta.url);
const targets = { likeReqPerSec: 3000, likeP99Ms: 50, encryptedThroughputRatio: 0.9 };

/**
 * One scenario's figures, plus the server's own CPU time per request: throughput on a shared
 * machine moves with whatever else runs on it, the CPU the server spends on a request much less.
 */
async function measure(
  scenario: Scenario,
  quiet = false,
): Promise<LoadFigures & { cpuMicrosPerRequest: number }> {
  const before = process.cpuUsage();
  const figures = await load(scenario);
  const used = process.cpuUsage(before);
  if (!quiet)
    console.log(
      `  load average (1 min) after the run: ${loadavg()[0]?.toFixed(2)} on ${cpus().length} cores`,
    );
  return { ...figures, cpuMicrosPerRequest: (used.user + used.system) / Math.max(1, figures.requests) };
}

/**
 * One content service over its own SQLite log and key store, seeded with the same users and posts. `encrypted`:
 * as deployed, the seeded profiles and captions written through the encrypting store (as identity and content
 * write them), so that every read decrypts what production decrypts. Otherwise nothing is personal: the same code
 * writing and reading plaintext, the reference encryption's cost is measured against.
 */
async function startContent(
  dir: string,
  encrypted: boolean,
  userIds: readonly string[],
  postIds: readonly string[],
  verifier: AccessTokenVerifier,
) {
  // As the embedded mode opens its log (apps/embedded/src/main.ts): commits made durable off the event loop.
  const raw = openSqliteEventStore({ path: join(dir, 'events.sqlite'), syncInBackground: true });
  const keys = new SqliteDataKeyStore({
    path: join(dir, 'keys.sqlite'),
    masterKey: LocalMasterKey.fromBase64(generateMasterKey()),
  });
  const app = buildContentApp({
    store: raw,
    verifier,
    dataKeys: new DataKeys((accountId) => keys.get(accountId)),
    // The benchmark's texts mention nobody.
    mentions: { accountsNamed: async () => [] },
    ...(encrypted ? {} : { personalFields: {} }),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  // The accounts' data keys, as identity makes them at signup: content encrypts captions under them.
  for (const userId of userIds) await keys.create(userId);
  const seeding = encrypted ? personalDataEventStore(raw, keys, personalFields) : raw;
  const now = new Date().toISOString();
  await inChunks([...userIds], 1000, (userId) =>
    append(seeding, streamIds.user(userId), {
      type: 'UserRegistered',
      data: {
        userId,
        userName: `u${userId.replaceAll('-', '').slice(-20)}`,
        name: 'Bench User',
        bio: 'Photos of places, people and food',
        profilePic: 'https://img.example/default.png',
        registeredAt: now,
      },
    }),
  );
  await inChunks([...postIds], 100, (postId) =>
    append(seeding, streamIds.post(postId), {
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
  return {
    url,
    store: raw,
    async close() {
      await app.close();
      await raw.close();
      keys.close();
    },
  };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'gram-content-bench-'));
  mkdirSync(join(dir, 'encrypted'));
  mkdirSync(join(dir, 'plaintext'));
  const issuer = await createTestTokenIssuer();
  const userIds = Array.from({ length: userCount }, () => newId());
  const postIds = Array.from({ length: benchPosts + warmupPosts + comparedPosts }, () => newId());
  console.log(
    `seeding ${userCount} users and ${postIds.length} posts into ${dir}, encrypted and in plaintext`,
  );
  const content = await startContent(join(dir, 'encrypted'), true, userIds, postIds, issuer.verifier);
  const plaintext = await startContent(join(dir, 'plaintext'), false, userIds, postIds, issuer.verifier);
  const { url, store } = content;

  try {
    const tokens = await Promise.all(userIds.map((userId) => issuer.mint(userId, { expiresIn: '1h' })));
    const warmup = postIds.slice(0, warmupPosts);
    const compared = postIds.slice(warmupPosts, warmupPosts + comparedPosts);
    const measured = postIds.slice(warmupPosts + comparedPosts);
    const pairs = measured.length * tokens.length;

    // Both services are warmed up alike and compared first, while their logs hold the same history: the
    // comparison once ran after the measured phases below, which only the encrypted service had taken (at
    // the default durations, tens of thousands more likes, posts and comments in its log, and longer
    // streams for the posts both commented on), and that difference was charged to encryption.
    console.log('warming up both services (likes and comments on separate posts, then posts)...');
    for (const target of [url, plaintext.url]) {
      await load({ kind: 'like', url: target, tokens, postIds: warmup, connections, durationSeconds: 3 });
      await load({ kind: 'create-post', url: target, tokens, connections, durationSeconds: 2 });
      await load({ kind: 'comment', url: target, tokens, postIds: warmup, connections, durationSeconds: 2 });
    }

    // What encryption costs: create-a-post and comment against the same code with nothing personal, in
    // alternating rounds (the order swapped each round) so that both meet the same machine. Compared by server
    // CPU per request: on a saturated core, throughput is its inverse, and it moves less than req/s with whatever
    // else runs.
    console.log(
      `encryption's cost: create-a-post and comment, encrypted and plaintext, ${rounds} alternating rounds of ${roundSeconds}s`,
    );
    const cpu = {
      createPost: { encrypted: [] as number[], plaintext: [] as number[] },
      comment: { encrypted: [] as number[], plaintext: [] as number[] },
    };
    for (let round = 0; round < rounds; round++) {
      const order =
        round % 2 === 0 ? (['encrypted', 'plaintext'] as const) : (['plaintext', 'encrypted'] as const);
      for (const which of order) {
        const target = which === 'encrypted' ? content.url : plaintext.url;
        const run = { url: target, tokens, connections, durationSeconds: roundSeconds };
        // The first round's runs are profiled (--profile), so that the two can be compared function by function.
        const profile = round === 0 ? args.profile : undefined;
        const createPost = await profiled(profile, `content-create-post-${which}`, () =>
          measure({ kind: 'create-post', ...run }, true),
        );
        cpu.createPost[which].push(createPost.cpuMicrosPerRequest);
        const comment = await profiled(profile, `content-comment-${which}`, () =>
          measure({ kind: 'comment', ...run, postIds: compared }, true),
        );
        cpu.comment[which].push(comment.cpuMicrosPerRequest);
        if (profile)
          console.log(
            `  requests answered: create-a-post ${createPost.requests}, comment ${comment.requests}`,
          );
      }
    }

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

    const ratioOf = ({ encrypted, plaintext }: { encrypted: number[]; plaintext: number[] }) =>
      median(plaintext) / median(encrypted);
    for (const [name, runs] of [
      ['create-a-post', cpu.createPost],
      ['comment', cpu.comment],
    ] as const) {
      console.log(
        `  ${name}: server CPU per request, encrypted ${runs.encrypted.map((v) => v.toFixed(0)).join(' / ')} µs, ` +
          `plaintext ${runs.plaintext.map((v) => v.toFixed(0)).join(' / ')} µs; throughput with encryption ` +
          `${ratioOf(runs).toFixed(2)} of without (medians)`,
      );
    }

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
      createPostEncryptedThroughputRatio: ratioOf(cpu.createPost),
      commentEncryptedThroughputRatio: ratioOf(cpu.comment),
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
    await content.close();
    await plaintext.close();
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
  | 'commentServerCpuMicros'
  | 'createPostEncryptedThroughputRatio'
  | 'commentEncryptedThroughputRatio',
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
    [
      'create-a-post throughput, encrypted / plaintext',
      'createPostEncryptedThroughputRatio',
      `>= ${targets.encryptedThroughputRatio}`,
      (v) => v >= targets.encryptedThroughputRatio,
    ],
    [
      'comment throughput, encrypted / plaintext',
      'commentEncryptedThroughputRatio',
      `>= ${targets.encryptedThroughputRatio}`,
      (v) => v >= targets.encryptedThroughputRatio,
    ],
  ];
  const table = [['metric', 'now', 'baseline', 'ratio', 'target', 'ok']];
  for (const [label, key, target, check] of rows) {
    // A baseline saved before a scenario existed has no figure for it.
    const base: number | undefined = baseline?.figures[key];
    table.push([
      label,
      now[key].toFixed(key.endsWith('Ratio') ? 2 : 1),
      base === undefined ? '-' : base.toFixed(key.endsWith('Ratio') ? 2 : 1),
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

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

await main();
