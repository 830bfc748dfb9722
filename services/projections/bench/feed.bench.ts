import { isDeepStrictEqual } from 'node:util';
import { openSqliteEventStore } from '@gram/event-store';
import type { Post } from '@gram/service-kit';
import { startTestServers } from '@gram/test-servers';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { ReadModelQueries } from '../src/queries/read-model-queries.js';
import { followeesOf } from '../src/read-models/follows/documents.js';
import { rebuildGeneration } from '../src/rebuild/rebuild.js';
import type { Doc } from '../src/store/document-store.js';
import { Generations } from '../src/store/generations.js';
import { likeId } from '../src/store/keys.js';
import type { MongoRedisReadModelStore } from '../src/store/mongo-redis.js';
import { HistoryBuilder } from '../test/history.js';
import { percentile, report } from './report.js';

// pnpm --filter @gram/projections bench feed [--save-baseline] — the first home-feed page (20 posts with their
// authors, counts and likedByMe) of a user following 500 accounts, two ways, on the same MongoDB (FerretDB) and
// Redis:
// - fan-out on write: the query API's own feed read (ReadModelQueries.feed): the user's Redis sorted set and
//   merged authors, then the posts, their authors and likedByMe from the hot copies in Redis;
// - fan-out on read: the user's follow edges (a Redis list), then the newest 20 posts among the 500 authors' posts
//   from MongoDB, then the authors and the user's like edges: what every feed read would cost without the feeds.
// Both answer the same page (checked). Reads run one after another; reads/s is their count over the time taken.
// Then the query API's feed read of a second user with the viewer's relations applied (API.md "Privacy and
// safety"): it follows the same 500 accounts, mutes 20 of them and is in blocks with 20 others (10 it blocks, 10
// that block it, all posting), against the first user's read without any relation, as a ratio (target 0.9).
const followed = 500;
const postsPerAuthor = Number(process.env.BENCH_POSTS_PER_AUTHOR ?? 4);
const reads = Number(process.env.BENCH_READS ?? 100);
const pageSize = 20;

const h = new HistoryBuilder();
const reader = h.register('reader');
const authors = Array.from({ length: followed }, (_, i) => h.register(`author_${i}`));
for (const author of authors) h.follow(reader, author);
for (let round = 0; round < postsPerAuthor; round++) {
  for (const [i, author] of authors.entries()) {
    const postId = h.post(author);
    if (i % 3 === 0) h.like(postId, author, reader);
  }
}
// The viewer with relations, and the accounts it is in blocks with (each posting, as the followed accounts do).
const viewer = h.register('viewer');
for (const author of authors) h.follow(viewer, author);
for (const muted of authors.slice(0, 20)) h.mute(viewer, muted);
const strangers = Array.from({ length: 20 }, (_, i) => h.register(`stranger_${i}`));
for (const [i, stranger] of strangers.entries()) {
  for (let round = 0; round < postsPerAuthor; round++) h.post(stranger);
  if (i < 10) h.block(viewer, stranger);
  else h.block(stranger, viewer);
}
const events = openSqliteEventStore({ path: ':memory:' });
for (const e of h.events) {
  await events.appendToStream(e.streamId, [{ id: e.id, type: e.type, data: e.data, metadata: e.metadata }], {
    expectedRevision: 'any',
  });
}

function fanOutOnWrite(queries: ReadModelQueries, user = reader): Promise<Post[]> {
  return queries.feed(user, { limit: pageSize }).then((page) => page.items);
}

async function fanOutOnRead(store: MongoRedisReadModelStore): Promise<Post[]> {
  const { mongo, indexes } = store.documents;
  // The edges are kept in Redis (the accounts followed as a sorted set, the likes by id); the posts in MongoDB.
  const edges = await store.documents.values('follows', followeesOf(reader), 'followeeId');
  const raw = await mongo
    .collection('posts')
    .find({ authorId: { $in: edges as string[] }, status: 'live', authorDeleted: false })
    .sort({ at: -1, _id: -1 })
    .limit(pageSize)
    .toArray();
  const posts = await indexes.overlay(
    'posts',
    raw.map(({ _id, ...fields }) => ({ id: String(_id), ...fields }) as Doc),
  );
  const [users, likes] = await Promise.all([
    mongo.getMany(
      'users',
      posts.map((post) => post.authorId as string),
    ),
    store.documents.getMany(
      'likes',
      posts.map((post) => likeId(post.id, reader)),
    ),
  ]);
  const authorsById = new Map(users.map((user) => [user.id, user]));
  const liked = new Set(likes.filter((edge) => edge.liked === true).map((edge) => edge.postId as string));
  return posts.flatMap((post) => {
    const author = authorsById.get(post.authorId as string);
    if (author?.status !== 'live') return [];
    return [
      {
        id: post.id,
        author: {
          id: author.id,
          userName: author.userName as string,
          name: author.name as string,
          profilePic: author.profilePic as string,
        },
        photo: post.photo as string,
        caption: post.caption as string,
        hashtags: (post.hashtags as string[] | undefined) ?? [],
        // the benchmark's histories mention nobody
        mentions: [],
        likesCount: (post.likesCount as number | undefined) ?? 0,
        commentsCount: (post.commentsCount as number | undefined) ?? 0,
        createdAt: post.createdAt as string,
        updatedAt: post.updatedAt as string,
        likedByMe: liked.has(post.id),
      },
    ];
  });
}

async function measure(read: () => Promise<unknown[]>) {
  for (let i = 0; i < 10; i++) await read();
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < reads; i++) {
    const t = performance.now();
    await read();
    samples.push(performance.now() - t);
  }
  const seconds = (performance.now() - started) / 1000;
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), perSecond: reads / seconds };
}

const servers = process.env.MONGO_URL ? undefined : await startTestServers(['redis', 'mongo']);
const mongo = await MongoClient.connect(process.env.MONGO_URL ?? (servers?.mongo?.url as string));
const redis = new Redis(process.env.REDIS_URL ?? (servers?.redis?.url as string));
let ok = false;
try {
  const generations = new Generations(mongo.db(`bench_feed_${Date.now()}`), redis);
  const { generation } = await generations
    .store(1)
    .drop()
    .then(() => rebuildGeneration({ events, generations, graceMs: 0 }));
  const store = generations.store(generation);
  const queries = new ReadModelQueries(() => store);
  const written = await fanOutOnWrite(queries);
  const read = await fanOutOnRead(store);
  if (written.length !== pageSize || !isDeepStrictEqual(written, read)) {
    throw new Error(
      `the two ways answer different pages:\n${JSON.stringify(written)}\n${JSON.stringify(read)}`,
    );
  }
  console.info(`${followed} followed accounts, ${followed * postsPerAuthor} posts, ${reads} reads each way`);
  const onWrite = await measure(() => fanOutOnWrite(queries));
  const onRead = await measure(() => fanOutOnRead(store));
  const viewed = await fanOutOnWrite(queries, viewer);
  const hidden = new Set([...authors.slice(0, 20), ...strangers]);
  if (viewed.length !== pageSize || viewed.some((post) => hidden.has(post.author.id))) {
    throw new Error(
      `the viewer's feed holds a post of a muted or blocked account:\n${JSON.stringify(viewed)}`,
    );
  }
  const withRelations = await measure(() => fanOutOnWrite(queries, viewer));
  ok = report('feed', [
    { metric: 'fan-out on write p50, ms', now: onWrite.p50, better: 'lower' },
    { metric: 'fan-out on write p99, ms', now: onWrite.p99, better: 'lower' },
    { metric: 'fan-out on write reads/s', now: onWrite.perSecond, better: 'higher' },
    { metric: 'fan-out on read p50, ms', now: onRead.p50, better: 'lower' },
    { metric: 'fan-out on read p99, ms', now: onRead.p99, better: 'lower' },
    { metric: 'fan-out on read reads/s', now: onRead.perSecond, better: 'higher' },
    {
      metric: 'reads/s, write over read (x)',
      now: onWrite.perSecond / onRead.perSecond,
      better: 'higher',
      target: 10,
    },
    { metric: 'p50, read over write (x)', now: onRead.p50 / onWrite.p50, better: 'higher', target: 10 },
    { metric: 'with relations p50, ms', now: withRelations.p50, better: 'lower' },
    { metric: 'with relations p99, ms', now: withRelations.p99, better: 'lower' },
    { metric: 'with relations reads/s', now: withRelations.perSecond, better: 'higher' },
    {
      metric: 'reads/s, with relations over without (x)',
      now: withRelations.perSecond / onWrite.perSecond,
      better: 'higher',
      target: 0.9,
    },
  ]);
  await generations.store(generation).drop();
} finally {
  await mongo.close();
  redis.disconnect();
  await events.close();
  await servers?.stop();
}
process.exitCode = ok ? 0 : 1;
