import { startTestServers } from '@gram/test-servers';
import { type AnyBulkWriteOperation, type Collection, MongoClient } from 'mongodb';
import { MongoDocumentStore } from '../src/store/mongo/documents.js';
import { type Metric, percentile, report } from './report.js';

// pnpm --filter @gram/projections bench ferretdb-ops [--save-baseline] — what each MongoDB operation of the
// projections' live path costs on the test MongoDB (FerretDB 1.x on SQLite, unless MONGO_URL names another
// server), in a likes-like collection { _id: 'p<post>:u<user>', postId, userId, liked, userDeleted, rev, at }
// (indexes on postId and userId, 100 likes per post) at several sizes: which costs grow with the collection.
// Each operation runs one after another until BENCH_OP_MS (default 1,500 ms) or BENCH_OP_SAMPLES (30) is
// reached (at least 3 samples); bulkWrite rows are per operation of a batch. A batch whose estimate (the single
// op's cost times its size) is above BENCH_BATCH_MAX_S (30 s) is skipped. `store.*` rows go through
// MongoDocumentStore, so running this before and after a change of it compares the two.
// BENCH_SIZES=1000,50000,200000 sets the sizes; FERRETDB_PPROF=127.0.0.1:6060 serves FerretDB's profiler.
const sizes = (process.env.BENCH_SIZES ?? '1000,50000,200000').split(',').map(Number);
const opMs = Number(process.env.BENCH_OP_MS ?? 1_500);
const opSamples = Number(process.env.BENCH_OP_SAMPLES ?? 30);
const batchMaxMs = Number(process.env.BENCH_BATCH_MAX_S ?? 30) * 1000;
const likesPerPost = 100;

const servers = process.env.MONGO_URL ? undefined : await startTestServers(['mongo']);
const client = await MongoClient.connect(process.env.MONGO_URL ?? (servers?.mongo?.url as string));
const db = client.db(`bench_ferretdb_ops_${Date.now()}`);
console.info(`server: ${servers?.mongo?.description ?? process.env.MONGO_URL}`);

/** Ids are strings, as in the read models. */
interface Stored {
  _id: string;
  [field: string]: unknown;
}

const like = (post: number, user: number, rev: number) => ({
  _id: `p${post}:u${user}`,
  postId: `p${post}`,
  userId: `u${user}`,
  liked: true,
  userDeleted: false,
  rev,
  at: 1_700_000_000_000 + post * 1000 + user,
});

/** A collection of `size` likes at rev 1 (posts p0.., users u0..u99 each), with or without the indexes. */
async function fill(name: string, size: number, indexes: boolean): Promise<Collection<Stored>> {
  const collection = db.collection<Stored>(name);
  await collection.drop().catch(() => {});
  if (indexes) {
    await collection.createIndex({ postId: 1 });
    await collection.createIndex({ userId: 1 });
  }
  for (let from = 0; from < size; from += 1000) {
    const docs = [];
    for (let i = from; i < Math.min(size, from + 1000); i++) {
      docs.push(like(Math.floor(i / likesPerPost), i % likesPerPost, 1));
    }
    await collection.insertMany(docs, { ordered: false });
  }
  return collection;
}

interface Samples {
  p50: number;
  p99: number;
  n: number;
}

/** Runs `op` (one call costs `perCall` operations) repeatedly; the figures are ms per operation. */
async function sample(op: (i: number) => Promise<unknown>, perCall = 1): Promise<Samples> {
  const samples: number[] = [];
  const started = performance.now();
  while (
    samples.length < 3 ||
    (samples.length < opSamples && performance.now() - started < opMs && perCall === 1) ||
    (perCall > 1 && samples.length < 5 && performance.now() - started < opMs)
  ) {
    const t = performance.now();
    await op(samples.length);
    samples.push((performance.now() - t) / perCall);
  }
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), n: samples.length };
}

const rows = new Map<string, Map<number, Samples | string>>();
function record(op: string, size: number, value: Samples | string) {
  const row = rows.get(op) ?? new Map();
  row.set(size, value);
  rows.set(op, row);
}

/** FerretDB's explain of `find` with `filter` (and `sort`): whether it reaches SQLite, and SQLite's plan. */
async function explain(name: string, filter: object, sort?: object): Promise<string> {
  const answer = await db.command({ explain: { find: name, filter, ...(sort && { sort }) } });
  const plan = (answer.queryPlanner?.Plan as string[] | undefined)?.map((line) =>
    line.replace(/^.*detail=/, ''),
  );
  return `filterPushdown=${answer.filterPushdown} sortPushdown=${answer.sortPushdown} plan=${JSON.stringify(plan)}`;
}

// Every write below moves revisions forward from here, so that a guarded write always applies (unless stale).
let rev = 1_000;
// The store's `likes` are this collection: prefix `bench_`.
const store = new MongoDocumentStore(db, 'bench_');

for (const size of sizes) {
  const name = 'bench_likes';
  const started = performance.now();
  const collection = await fill(name, size, true);
  console.info(`\n${size} likes loaded in ${Math.round(performance.now() - started)} ms`);
  const posts = Math.max(1, Math.floor(size / likesPerPost));
  // A scan stops at the first match (FerretDB's limit of one for updateOne, SQLite's for a pushed-down _id read),
  // so its cost depends on where the document lies: samples start in the middle and spread over the collection.
  const existing = (i: number) =>
    like((Math.floor(posts / 2) + i * 7919) % posts, (i * 31) % likesPerPost, 0)._id;
  const ids = (i: number, n: number) => Array.from({ length: n }, (_, j) => existing(i * n + j));
  let fresh = 0;
  const newId = () => `new${size}_${fresh++}`;

  if (size === sizes[0]) {
    for (const [shape, filter] of [
      ['{ _id }', { _id: existing(1) }],
      ['{ _id, rev: { $lt } }', { _id: existing(1), rev: { $lt: 5 } }],
      ['{ _id: { $in } }', { _id: { $in: ids(1, 3) } }],
      ['{ postId }', { postId: 'p1' }],
    ] as const) {
      console.info(`explain find ${shape}: ${await explain(name, filter)}`);
    }
    console.info(`explain page: ${await explain(name, { postId: 'p1' }, { at: -1, _id: -1 })}`);
  }

  const single: [string, (i: number) => Promise<unknown>][] = [
    ['findOne { _id }', (i) => collection.findOne({ _id: existing(i) })],
    [
      'find { _id: { $in: 100 ids } } (per call)',
      (i) => collection.find({ _id: { $in: ids(i, 100) } }).toArray(),
    ],
    [
      'updateOne { _id, rev: { $lt } } upsert, existing',
      (i) =>
        collection.updateOne(
          { _id: existing(i), rev: { $lt: ++rev } },
          { $set: { liked: i % 2 === 0, rev } },
          { upsert: true },
        ),
    ],
    [
      'updateOne { _id, rev: { $lt } } upsert, new',
      () => collection.updateOne({ _id: newId(), rev: { $lt: ++rev } }, { $set: { rev } }, { upsert: true }),
    ],
    [
      'updateOne { _id } upsert, existing',
      (i) =>
        collection.updateOne(
          { _id: existing(i) },
          { $set: { liked: i % 2 === 0, rev: ++rev } },
          { upsert: true },
        ),
    ],
    [
      'updateOne { _id } upsert, new',
      () => collection.updateOne({ _id: newId() }, { $set: { rev: ++rev } }, { upsert: true }),
    ],
    [
      'updateMany { postId } (100 docs, per call)',
      (i) =>
        collection.updateMany({ postId: `p${(i * 7919) % posts}` }, { $set: { userDeleted: i % 2 === 0 } }),
    ],
    [
      'page { postId } sort { at, _id } limit 20',
      (i) =>
        collection
          .find({ postId: `p${(i * 7919) % posts}`, userDeleted: false })
          .sort({ at: -1, _id: -1 })
          .limit(20)
          .toArray(),
    ],
    ['countDocuments { postId }', (i) => collection.countDocuments({ postId: `p${(i * 7919) % posts}` })],
    ['store.get', (i) => store.get('likes', existing(i))],
    ['store.getMany 100 ids (per call)', (i) => store.getMany('likes', ids(i, 100))],
    [
      'store.applyRevision, existing',
      (i) => store.applyRevision('likes', existing(i), ++rev, { liked: i % 2 === 0 }),
    ],
    ['store.applyRevision, new', () => store.applyRevision('likes', newId(), ++rev, { liked: true })],
    ['store.setFields, existing', (i) => store.setFields('likes', existing(i), { liked: i % 2 === 0 })],
  ];
  for (const [op, run] of single) {
    record(op, size, await sample(run));
    console.info(`  ${op}: ${JSON.stringify(rows.get(op)?.get(size))}`);
  }

  // Batches are of 99 at most: FerretDB 1.24 holds one pooled SQLite connection (of 100) per update of an
  // `update` command that matched, until the command ends, and the 100th waits for a connection forever.
  const bulks: [string, string, (batch: string[]) => AnyBulkWriteOperation<Stored>[]][] = [
    [
      'bulkWrite { _id, rev: { $lt } } upserts',
      'updateOne { _id, rev: { $lt } } upsert, existing',
      (batch) =>
        batch.map((_id) => ({
          updateOne: { filter: { _id, rev: { $lt: ++rev } }, update: { $set: { rev } }, upsert: true },
        })),
    ],
    [
      'bulkWrite { _id } upserts',
      'updateOne { _id } upsert, existing',
      (batch) =>
        batch.map((_id) => ({
          updateOne: { filter: { _id }, update: { $set: { rev: ++rev } }, upsert: true },
        })),
    ],
  ];
  for (const [shape, singleShape, operations] of bulks) {
    const singleOp = rows.get(singleShape)?.get(size) as Samples;
    for (const n of [10, 99]) {
      const op = `${shape}, ${n} per command (per op)`;
      if (singleOp.p50 * n > batchMaxMs) {
        record(op, size, `skipped (~${Math.round((singleOp.p50 * n) / 1000)} s)`);
        continue;
      }
      record(
        op,
        size,
        await sample((i) => collection.bulkWrite(operations(ids(i, n)), { ordered: false }), n),
      );
      console.info(`  ${op}: ${JSON.stringify(rows.get(op)?.get(size))}`);
    }
  }
  record(
    'insertMany 99 new (per op)',
    size,
    await sample(
      () => collection.insertMany(Array.from({ length: 99 }, () => ({ _id: newId(), rev: ++rev }))),
      99,
    ),
  );

  // The same writes without the two secondary indexes, on a collection of the same size.
  if (size === sizes[sizes.length - 1]) {
    const bare = await fill('bench_likes_bare', size, false);
    for (const [op, run] of [
      [
        'updateOne { _id } upsert, existing',
        (i: number) =>
          bare.updateOne(
            { _id: existing(i) },
            { $set: { liked: i % 2 === 0, rev: ++rev } },
            { upsert: true },
          ),
      ],
      [
        'bulkWrite { _id } upserts, 99 per command (per op)',
        (i: number) =>
          bare.bulkWrite((bulks[1] as (typeof bulks)[number])[2](ids(i, 99)), { ordered: false }),
      ],
      [
        'insertMany 99 new (per op)',
        () => bare.insertMany(Array.from({ length: 99 }, () => ({ _id: newId(), rev: ++rev }))),
      ],
    ] as const) {
      record(`${op}, no secondary indexes`, size, await sample(run, op.includes('99') ? 99 : 1));
    }
    await bare.drop();
  }
}

const format = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
console.info(`\nms per operation, p50 (p99, samples):`);
const header = ['operation', ...sizes.map((size) => `${size.toLocaleString('en-US')} docs`)];
const table = [header];
for (const [op, row] of rows) {
  table.push([
    op,
    ...sizes.map((size) => {
      const value = row.get(size);
      if (value === undefined) return '-';
      if (typeof value === 'string') return value;
      return `${format(value.p50)} (${format(value.p99)}, ${value.n})`;
    }),
  ]);
}
const widths = header.map((_, i) => Math.max(...table.map((row) => (row[i] as string).length)));
for (const row of table)
  console.info(`| ${row.map((cell, i) => cell.padEnd(widths[i] as number)).join(' | ')} |`);

const metrics: Metric[] = [];
for (const [op, row] of rows) {
  for (const [size, value] of row) {
    if (typeof value !== 'string')
      metrics.push({ metric: `${op} @${size}, ms`, now: value.p50, better: 'lower' });
  }
}
console.info('');
const ok = report('ferretdb-ops', metrics);
await db.dropDatabase();
await client.close();
await servers?.stop();
process.exitCode = ok ? 0 : 1;
