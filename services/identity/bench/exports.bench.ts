// Exports ("download your data"): `pnpm bench exports [--save-baseline]` at the root.
//
// What one archive of a large account costs identity: archive builds per second, the archive's size, and the peak
// memory of the process during a build, for an account of 10,000 posts and, beside it, one of 1,000 posts, so a
// reader sees whether memory grows with the account (it must not: the archive is streamed) or stays flat.
//
// The log, in a SQLite event store in a temporary directory, written as the services write it (the catalogue's
// shapes, personal fields encrypted under each account's data key, kept in keys.sqlite as identity keeps them):
//   - the large account: its registration, 10,000 uploads and the 10,000 posts made of them (500 of them edited
//     later, 100 deleted), 2,000 comments and 200 replies on others' posts, 5,000 likes, 500 follows, 20 logins;
//   - the small account: a tenth of each (1,000 posts);
//   - 1,000 other accounts, whose posts, uploads, likes, comments and follows fill the log to 200,000 events.
// The activity of the two accounts is spread evenly through the log, so reading an account's events
// (readByActor, page by page) scans all of it, as it would in a log where the account lived among the others.
//
// Each build runs as an export job runs it (jobs.ts): writeExportArchive into the disk ExportStorage, which writes
// the file, fsyncs it and renames it. The photos are stand-ins of BENCH_PHOTO_BYTES (default 4 KiB) served from
// memory: fetching real originals from the media service is that service's cost, not measured here; the archive
// still has an entry per photo, as it would. The large account is also built with no photo at all (every file
// gone), which shows what the photos' 10,000 entries cost. Followers come from memory (300 for either account).
//
// Each account's builds run in a process of their own (exports-builder.ts), so that neither the log's generation
// here nor the other account's builds weigh on the memory measured: one warm-up build, then BENCH_RUNS (default 5),
// one after the other; exports/s is one over the median build. Memory: before each build the garbage collector
// runs (node runs with --expose-gc), then the kernel's RSS high-water mark is reset (/proc/self/clear_refs) and
// read after the build: the peak of the whole build, however briefly it lasted. Where there is no /proc, the RSS
// sampled every 2 ms stands in (it can miss a peak shorter than that, or one inside a synchronous SQLite read).
// The peaks are reported as they are and over the RSS of the builder process before its first build, for the first
// build of the process (the warm-up: V8 grows its heap most while the code warms up, and a process's first export
// must fit too) and for the later ones (the largest of them). The log scan alone (readByActor over the
// whole log, pages of 1,000 as the archive reads them) is timed apart, raw and decrypted, so the reader sees what
// share of a build it is; so is the time the builds spend awaiting the store's reads.
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventStore, openSqliteEventStore } from '@gram/event-store';
import { type DomainEvent, personalFields, streamIds, toStoredEvent } from '@gram/events';
import { personalDataEventStore, personalDataKeysFromEnv } from '@gram/personal-data';
import type { BuilderOptions, BuilderReport } from './exports-builder.js';

const runs = Number(process.env.BENCH_RUNS ?? 5);
const logSize = Number(process.env.BENCH_LOG_EVENTS ?? 200_000);
const photoBytes = Number(process.env.BENCH_PHOTO_BYTES ?? 4096);
const otherAccounts = 1_000;
const baselineFile = join(import.meta.dirname, 'exports.baseline.json');
const gc = (globalThis as { gc?: () => void }).gc;
// Node options for the builder processes only, e.g. `--builder-arg --cpu-prof --builder-arg --cpu-prof-dir=/tmp/p`
// (a CPU profile of the builds) or `--builder-arg --trace-gc`.
const builderArgs = process.argv.flatMap((arg, i) =>
  arg === '--builder-arg' ? [process.argv[i + 1] ?? ''] : [],
);
const mb = (bytes: number) => bytes / 1024 / 1024;

// ---------------------------------------------------------------- the log

/** A small seeded PRNG (mulberry32): the same log shape on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(20261124);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const words =
  'the a sea light morning city old friends coffee summer walk again night window green river'.split(' ');
const sentence = (minChars: number) => {
  const parts: string[] = [];
  for (let length = 0; length < minChars; length += (parts.at(-1)?.length ?? 0) + 1) parts.push(pick(words));
  return parts.join(' ');
};

let clock = Date.UTC(2025, 0, 1);
const now = () => {
  clock += 1_000;
  return new Date(clock).toISOString();
};

/** One append: events of one stream, caused by `actorId`. */
interface Write {
  streamId: string;
  events: DomainEvent[];
  actorId: string;
}

function registration(userId: string, i: number): Write {
  const at = now();
  return {
    streamId: streamIds.user(userId),
    actorId: userId,
    events: [
      {
        type: 'UserRegistered',
        data: {
          userId,
          userName: `user_${i}`,
          name: `User ${i}`,
          bio: sentence(60),
          profilePic: 'https://static.gram.example/default-profile.png',
          registeredAt: at,
        },
      },
      {
        type: 'AccountCredentialsSet',
        data: {
          userId,
          email: `user_${i}@mail.example`,
          phoneNo: `+4479${String(i).padStart(8, '0')}`,
          passwordHash: `scrypt$N=16384,r=8,p=1$${randomUUID()}$${randomUUID()}`,
          setAt: at,
        },
      },
    ],
  };
}

function uploadWrite(mediaId: string, uploaderId: string): Write {
  const image = (rendition: string, width: number) => ({
    key: `${mediaId}/${rendition}-${randomUUID().replaceAll('-', '')}.jpg`,
    width,
    height: width,
    bytes: width * 300,
  });
  return {
    streamId: streamIds.media(mediaId),
    actorId: uploaderId,
    events: [
      {
        type: 'MediaUploaded',
        data: {
          mediaId,
          uploaderId,
          format: 'jpeg',
          original: image('original', 3000),
          standard: image('standard', 1080),
          thumbnail: image('thumbnail', 320),
          uploadedAt: now(),
        },
      },
    ],
  };
}

const photoUrl = (mediaId: string) => `https://media.gram.example/${mediaId}/standard.jpg`;

/** A post of `authorId`: its upload, then the post made of it. */
function* postWrites(authorId: string, postId: string): Generator<Write> {
  const mediaId = randomUUID();
  yield uploadWrite(mediaId, authorId);
  yield {
    streamId: streamIds.post(postId),
    actorId: authorId,
    events: [
      {
        type: 'PostCreated',
        data: { postId, authorId, photo: photoUrl(mediaId), caption: sentence(120), createdAt: now() },
      },
    ],
  };
}

/** Posts of the other accounts, created up front as ids so the accounts under test can like and comment them. */
interface OtherPost {
  postId: string;
  authorId: string;
}

interface Activity {
  posts: number;
  edits: number;
  deletes: number;
  comments: number;
  replies: number;
  likes: number;
  follows: number;
  logins: number;
}

const large: Activity = {
  posts: 10_000,
  edits: 500,
  deletes: 100,
  comments: 2_000,
  replies: 200,
  likes: 5_000,
  follows: 500,
  logins: 20,
};
const small: Activity = {
  posts: 1_000,
  edits: 50,
  deletes: 10,
  comments: 200,
  replies: 20,
  likes: 500,
  follows: 50,
  logins: 20,
};
/** Events an activity appends: a post is two (its upload and itself). */
const eventsOf = (a: Activity) =>
  2 + 2 * a.posts + a.edits + a.deletes + a.comments + a.replies + a.likes + a.follows + a.logins;

/** The writes of an account under test, its kinds of activity mixed at random, in the log's order. */
function* accountWrites(
  userId: string,
  index: number,
  activity: Activity,
  others: { users: string[]; posts: OtherPost[] },
): Generator<Write> {
  yield registration(userId, index);
  const left = { ...activity };
  /** its posts not deleted */
  const posts: string[] = [];
  const liked = new Set<string>();
  const followed = new Set<string>();
  const comments: { commentId: string; post: OtherPost }[] = [];
  for (;;) {
    // Edits, deletions and replies need something made before them: their weight is nothing until then.
    const weights = {
      posts: left.posts,
      edits: posts.length > 0 ? left.edits : 0,
      deletes: posts.length > 0 ? left.deletes : 0,
      comments: left.comments,
      replies: comments.length > 0 ? left.replies : 0,
      likes: left.likes,
      follows: left.follows,
      logins: left.logins,
    };
    const total = Object.values(weights).reduce((sum, w) => sum + w, 0);
    if (total === 0) return;
    let draw = random() * total;
    const kind = (Object.keys(weights) as (keyof Activity)[]).find((k) => {
      draw -= weights[k];
      return draw < 0;
    }) as keyof Activity;
    left[kind] -= 1;
    switch (kind) {
      case 'posts': {
        const postId = randomUUID();
        posts.push(postId);
        yield* postWrites(userId, postId);
        break;
      }
      case 'edits': {
        const postId = pick(posts);
        yield {
          streamId: streamIds.post(postId),
          actorId: userId,
          events: [
            {
              type: 'PostEdited',
              data: { postId, authorId: userId, caption: sentence(140), editedAt: now() },
            },
          ],
        };
        break;
      }
      case 'deletes': {
        // the oldest post still there; edits pick among those left
        const postId = posts.shift() as string;
        yield {
          streamId: streamIds.post(postId),
          actorId: userId,
          events: [{ type: 'PostDeleted', data: { postId, authorId: userId, deletedAt: now() } }],
        };
        break;
      }
      case 'comments': {
        const post = pick(others.posts);
        const commentId = randomUUID();
        comments.push({ commentId, post });
        yield {
          streamId: streamIds.comment(commentId),
          actorId: userId,
          events: [
            {
              type: 'CommentAdded',
              data: {
                commentId,
                postId: post.postId,
                postAuthorId: post.authorId,
                authorId: userId,
                text: sentence(60),
                createdAt: now(),
              },
            },
          ],
        };
        break;
      }
      case 'replies': {
        const { commentId, post } = pick(comments);
        const replyId = randomUUID();
        yield {
          streamId: streamIds.reply(replyId),
          actorId: userId,
          events: [
            {
              type: 'ReplyAdded',
              data: {
                replyId,
                commentId,
                postId: post.postId,
                postAuthorId: post.authorId,
                authorId: userId,
                text: sentence(40),
                createdAt: now(),
              },
            },
          ],
        };
        break;
      }
      case 'likes': {
        let post = pick(others.posts);
        while (liked.has(post.postId)) post = pick(others.posts);
        liked.add(post.postId);
        yield {
          streamId: streamIds.like(post.postId, userId),
          actorId: userId,
          events: [
            {
              type: 'PostLiked',
              data: { postId: post.postId, userId, postAuthorId: post.authorId, likedAt: now() },
            },
          ],
        };
        break;
      }
      case 'follows': {
        let followeeId = pick(others.users);
        while (followed.has(followeeId)) followeeId = pick(others.users);
        followed.add(followeeId);
        yield {
          streamId: streamIds.follow(userId, followeeId),
          actorId: userId,
          events: [{ type: 'UserFollowed', data: { followerId: userId, followeeId, followedAt: now() } }],
        };
        break;
      }
      case 'logins': {
        const sessionId = randomUUID();
        const startedAt = now();
        yield {
          streamId: streamIds.session(sessionId),
          actorId: userId,
          events: [
            {
              type: 'SessionStarted',
              data: {
                sessionId,
                userId,
                refreshTokenHash: randomUUID(),
                startedAt,
                expiresAt: new Date(Date.parse(startedAt) + 30 * 86_400_000).toISOString(),
              },
            },
          ],
        };
        break;
      }
    }
  }
}

/**
 * The other accounts' writes, `count` events in all: their registrations first, then posts (uploads too), likes,
 * comments and follows at random, some on the accounts under test. Their posts are the ones in `posts`, in order.
 */
function* otherWrites(
  users: string[],
  posts: OtherPost[],
  targets: string[],
  count: number,
): Generator<Write> {
  let written = 0;
  for (const [i, userId] of users.entries()) {
    yield registration(userId, 1_000 + i);
    written += 2;
  }
  let nextPost = 0;
  /** one of the posts made so far (the first, before any) */
  const madePost = () => posts[Math.floor(random() * Math.max(1, nextPost))] as OtherPost;
  const likes = new Set<string>();
  while (written < count) {
    const draw = random();
    const actorId = pick(users);
    if (draw < 0.15 && nextPost < posts.length) {
      const { postId, authorId } = posts[nextPost++] as OtherPost;
      yield* postWrites(authorId, postId);
      written += 2;
    } else if (draw < 0.7) {
      const post = madePost();
      if (likes.has(`${post.postId}_${actorId}`)) continue;
      likes.add(`${post.postId}_${actorId}`);
      yield {
        streamId: streamIds.like(post.postId, actorId),
        actorId,
        events: [
          {
            type: 'PostLiked',
            data: { postId: post.postId, userId: actorId, postAuthorId: post.authorId, likedAt: now() },
          },
        ],
      };
      written += 1;
    } else if (draw < 0.9) {
      const post = madePost();
      const commentId = randomUUID();
      yield {
        streamId: streamIds.comment(commentId),
        actorId,
        events: [
          {
            type: 'CommentAdded',
            data: {
              commentId,
              postId: post.postId,
              postAuthorId: post.authorId,
              authorId: actorId,
              text: sentence(60),
              createdAt: now(),
            },
          },
        ],
      };
      written += 1;
    } else {
      // Some follow the accounts under test: their followers, which the archive does not read from the log.
      const followeeId = draw < 0.92 ? pick(targets) : pick(users);
      yield {
        streamId: streamIds.follow(actorId, followeeId),
        actorId,
        events: [{ type: 'UserFollowed', data: { followerId: actorId, followeeId, followedAt: now() } }],
      };
      written += 1;
    }
  }
}

/** The sources' writes interleaved at random, each in its own order, in proportion to what each has left. */
function* interleaved(sources: { writes: Generator<Write>; events: number }[]): Generator<Write> {
  const left = sources.map((s) => s.events);
  for (;;) {
    const total = left.reduce((sum, n) => sum + Math.max(0, n), 0);
    if (total === 0) return;
    let draw = random() * total;
    const i = left.findIndex((n) => {
      draw -= Math.max(0, n);
      return draw < 0;
    });
    const next = (sources[i] as { writes: Generator<Write> }).writes.next();
    if (next.done) {
      left[i] = 0;
      continue;
    }
    (left as number[])[i] = (left[i] as number) - next.value.events.length;
    yield next.value;
  }
}

/**
 * Appends the writes, many at once (as the services' concurrent requests do; the store groups them in
 * transactions), but never two of one stream at once, so each stream keeps its order.
 */
async function appendAll(store: EventStore, writes: Iterable<Write>): Promise<number> {
  let appended = 0;
  let batch: Promise<unknown>[] = [];
  let streams = new Set<string>();
  for (const { streamId, events, actorId } of writes) {
    if (streams.has(streamId) || batch.length >= 256) {
      await Promise.all(batch);
      batch = [];
      streams = new Set();
    }
    streams.add(streamId);
    batch.push(
      store.appendToStream(
        streamId,
        events.map((e) => toStoredEvent(e, { actorId })),
        { expectedRevision: 'any' },
      ),
    );
    appended += events.length;
  }
  await Promise.all(batch);
  return appended;
}

// ---------------------------------------------------------------- measures

/** One account's builds, in a process of its own (exports-builder.ts). */
function builds(accountId: string, photos = photoBytes): Promise<BuilderReport> {
  const options: BuilderOptions = { dir, accountId, runs, photoBytes: photos };
  const child = fork(join(import.meta.dirname, 'exports-builder.ts'), [JSON.stringify(options)], {
    execArgv: [...process.execArgv, ...builderArgs],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let report: BuilderReport | undefined;
    child.once('message', (message) => {
      report = message as BuilderReport;
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      report ? resolve(report) : reject(new Error(`the builder exited (code ${code}) without a report`)),
    );
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

function summary(report: BuilderReport) {
  const { builds: measured, scans } = report;
  const all = [report.warmUp, ...measured];
  return {
    ms: median(measured.map((b) => b.ms)),
    bestMs: Math.min(...measured.map((b) => b.ms)),
    cpuMs: median(measured.map((b) => b.cpuMs)),
    bytes: median(measured.map((b) => b.bytes)),
    idleRss: report.idleRss,
    // The first build of a process grows its heap more than later ones (V8 sizes it while the code warms up):
    // both are reported, over the RSS of the idle process.
    firstPeak: report.warmUp.peakRss,
    laterPeak: Math.max(...measured.map((b) => b.peakRss)),
    peak: Math.max(...all.map((b) => b.peakRss)),
    sampledPeak: Math.max(...all.map((b) => b.sampledPeakRss)),
    byActorMs: median(measured.map((b) => b.byActorMs)),
    streamMs: median(measured.map((b) => b.streamMs)),
    streamReads: median(measured.map((b) => b.streamReads)),
    scanRawMs: median(scans.map((s) => s.rawMs)),
    scanDecryptedMs: median(scans.map((s) => s.decryptedMs)),
    events: scans[0]?.events ?? 0,
    peakSource: report.peakSource,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'gram-exports-bench-'));
try {
  const largeId = randomUUID();
  const smallId = randomUUID();
  const users = Array.from({ length: otherAccounts }, () => randomUUID());
  const otherEvents = logSize - eventsOf(large) - eventsOf(small);
  // About 15% of the others' draws are posts, two events each.
  const posts = Array.from({ length: Math.ceil(otherEvents * 0.15) }, () => ({
    postId: randomUUID(),
    authorId: pick(users),
  }));
  if (posts.length < large.likes * 1.5)
    throw new Error("BENCH_LOG_EVENTS is too small for the accounts' likes");
  const others = { users, posts };
  const setupStarted = performance.now();
  const raw = openSqliteEventStore({ path: join(dir, 'events.sqlite') });
  let appended: number;
  try {
    appended = await appendAll(
      personalDataEventStore(raw, personalDataKeysFromEnv({}, dir), personalFields),
      interleaved([
        { writes: otherWrites(users, posts, [largeId, smallId], otherEvents), events: otherEvents },
        { writes: accountWrites(largeId, 0, large, others), events: eventsOf(large) },
        { writes: accountWrites(smallId, 1, small, others), events: eventsOf(small) },
      ]),
    );
  } finally {
    await raw.close();
  }
  console.log(
    `exports: log of ${appended.toLocaleString('en-US')} events (${((performance.now() - setupStarted) / 1000).toFixed(0)} s ` +
      `to write), accounts of ${large.posts.toLocaleString('en-US')} and ${small.posts.toLocaleString('en-US')} posts, ` +
      `photos of ${photoBytes} bytes, ${runs} builds each after a warm-up, ${availableParallelism()} cores, ` +
      `load ${loadavg()[0]?.toFixed(2)}${gc ? '' : ', no --expose-gc (memory figures less steady)'}`,
  );

  const l = summary(await builds(largeId));
  const s = summary(await builds(smallId));
  const n = summary(await builds(largeId, 0));
  for (const [name, x] of [
    [`${large.posts.toLocaleString('en-US')} posts`, l],
    [`${small.posts.toLocaleString('en-US')} posts`, s],
    [`${large.posts.toLocaleString('en-US')} posts, no photos`, n],
  ] as const) {
    console.log(
      `  ${name}: ${x.events.toLocaleString('en-US')} events of the account; build median ${x.ms.toFixed(0)} ms ` +
        `(best ${x.bestMs.toFixed(0)}, CPU ${x.cpuMs.toFixed(0)} ms)\n` +
        `    awaiting readByActor ${x.byActorMs.toFixed(0)} ms, ${x.streamReads.toLocaleString('en-US')} readStream ` +
        `(folds, uploads) ${x.streamMs.toFixed(0)} ms, the rest (JSON, ZIP, file) ` +
        `${(x.ms - x.byActorMs - x.streamMs).toFixed(0)} ms\n` +
        `    RSS idle ${mb(x.idleRss).toFixed(0)} MB, peak ${mb(x.firstPeak).toFixed(0)} MB in the first build, ` +
        `${mb(x.laterPeak).toFixed(0)} MB in later ones ` +
        `(${x.peakSource === 'kernel' ? 'kernel high-water mark' : 'sampled'}; sampled every 2 ms: ${mb(x.sampledPeak).toFixed(0)} MB)`,
    );
  }
  console.log('');

  report([
    { metric: 'exports/s, 10,000-post account', now: 1000 / l.ms, better: 'higher' },
    { metric: 'exports/s, 1,000-post account', now: 1000 / s.ms, better: 'higher' },
    { metric: 'exports/s, 10,000-post account, no photos', now: 1000 / n.ms, better: 'higher' },
    { metric: 'CPU ms per export, 10,000-post account', now: l.cpuMs, better: 'lower' },
    { metric: 'archive MB, 10,000-post account', now: mb(l.bytes), better: 'lower' },
    { metric: 'archive MB, 1,000-post account', now: mb(s.bytes), better: 'lower' },
    {
      metric: 'peak RSS over the idle process MB, first build, 10,000 posts',
      now: mb(l.firstPeak - l.idleRss),
      better: 'lower',
    },
    {
      metric: 'peak RSS over the idle process MB, first build, 1,000 posts',
      now: mb(s.firstPeak - s.idleRss),
      better: 'lower',
    },
    {
      metric: 'peak RSS over the idle process MB, first build, 10,000 posts, no photos',
      now: mb(n.firstPeak - n.idleRss),
      better: 'lower',
    },
    {
      metric: 'peak RSS over the idle process MB, later builds, 10,000 posts',
      now: mb(l.laterPeak - l.idleRss),
      better: 'lower',
    },
    {
      metric: 'peak RSS over the idle process MB, later builds, 1,000 posts',
      now: mb(s.laterPeak - s.idleRss),
      better: 'lower',
    },
    {
      metric: 'peak RSS over the idle process MB, later builds, 10,000 posts, no photos',
      now: mb(n.laterPeak - n.idleRss),
      better: 'lower',
    },
    { metric: 'peak RSS MB, 10,000 posts', now: mb(l.peak), better: 'lower' },
    { metric: 'peak RSS MB, 1,000 posts', now: mb(s.peak), better: 'lower' },
    { metric: 'log scan ms: readByActor, whole log, raw', now: l.scanRawMs, better: 'lower' },
    { metric: 'log scan ms: readByActor, whole log, decrypted', now: l.scanDecryptedMs, better: 'lower' },
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------- report

/** One figure; `better` says which way is good. The issue sets no target for exports: figures only. */
interface Metric {
  metric: string;
  now: number;
  better: 'higher' | 'lower';
}

/** metric | now | baseline | ratio | target, beside bench/exports.baseline.json; `--save-baseline` replaces it. */
function report(metrics: readonly Metric[]): void {
  const baseline: Record<string, number> = existsSync(baselineFile)
    ? JSON.parse(readFileSync(baselineFile, 'utf8')).figures
    : {};
  const format = (n: number | undefined) =>
    n === undefined ? '-' : n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
  const rows = [['metric', 'now', 'baseline', 'ratio', 'target']];
  for (const m of metrics) {
    const base = baseline[m.metric];
    rows.push([
      `${m.metric} (${m.better} is better)`,
      format(m.now),
      format(base),
      base ? `${(m.now / base).toFixed(2)}x` : '-',
      '-',
    ]);
  }
  const widths = (rows[0] as string[]).map((_, i) =>
    Math.max(...rows.map((row) => (row[i] as string).length)),
  );
  for (const row of rows) {
    console.log(
      row
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join('  '),
    );
  }
  if (process.argv.includes('--save-baseline')) {
    const figures = Object.fromEntries(metrics.map((m) => [m.metric, Number(m.now.toFixed(3))]));
    const settings = { runs, logSize, photoBytes, node: process.version, cores: availableParallelism() };
    writeFileSync(
      baselineFile,
      `${JSON.stringify({ recordedAt: new Date().toISOString(), settings, figures }, null, 2)}\n`,
    );
    console.log(`baseline saved to ${baselineFile}`);
  }
}
