import type { EventStore, RecordedEvent, ReplayedEvent } from '@gram/event-store';
import { personalFields, topicOf, upcast } from '@gram/events';
import { type DataKeys, FieldDecryptionWorker } from '@gram/personal-data';
import type { Document } from 'mongodb';
import { type ProjectedEvent, Projector, type ProjectorOptions } from '../projection/projector.js';
import { counters } from '../read-models/registry.js';
import { type CollectionName, collections, type Doc } from '../store/document-store.js';
import type { Generations } from '../store/generations.js';
import { createMemoryReadModelStore, type MemoryReadModelStore } from '../store/memory.js';
import { type MongoRedisReadModelStore, redisOnly } from '../store/mongo-redis.js';
import { hotCollections, isHot } from '../store/redis/hot-copies.js';
import { execOrThrow } from '../store/redis/pipeline.js';
import type { SearchIndexDump, SearchIndexName } from '../store/search-index.js';

/** The event store's global log after `after`, page by page. */
export async function* readLog(
  store: EventStore,
  after = 0,
  pageSize = 5_000,
): AsyncGenerator<RecordedEvent> {
  for (let position = after; ; ) {
    const page = await store.readAll({ after: position, maxCount: pageSize });
    if (page.length === 0) return;
    yield* page;
    position = (page[page.length - 1] as RecordedEvent).position;
  }
}

/**
 * The payload the relay publishes for `event` (see publicMessageOf): upcast to the catalogue's version, or
 * undefined for an event that stays home. Without the message around it: its ISO time, which no handler reads,
 * would cost the fold more than the handlers of a like.
 */
function publishedPayload(event: ReplayedEvent): { data: unknown } | undefined {
  if (topicOf(event.type) === undefined) return undefined;
  const stored = event.metadata.schemaVersion;
  // No stamped version means the first one, as for every reader of the store.
  return upcast(event.type, typeof stored === 'number' ? stored : 1, event.data);
}

/**
 * Projects the log after `after` through `projector`, page by page, advancing the checkpoint after each page;
 * answers the last position applied. Each event is applied as the relay would publish it, one at a time.
 *
 * With `dataKeys`, the personal fields of a page are decrypted on a thread of their own while the page before
 * is folded (FieldDecryptionWorker): the projector then finds them decrypted. Done in line, one field at a
 * time, decryption was a fifth of a rebuild's time.
 */
export async function replay(
  events: EventStore,
  projector: Projector,
  options: {
    after?: number;
    onProgress?: (done: number) => void;
    pageSize?: number;
    dataKeys?: DataKeys;
  } = {},
): Promise<number> {
  const { dataKeys } = options;
  const decryption = dataKeys ? new FieldDecryptionWorker() : undefined;
  const keyOf = (accountId: string) => (dataKeys as DataKeys).get(accountId);
  /** A page read, its decryption under way (its failure met where it is awaited). */
  const readPage = async (after: number) => {
    const page = await events.readAllForReplay({ after, maxCount: options.pageSize ?? 5_000 });
    const published: ProjectedEvent[] = [];
    for (const event of page) {
      const payload = publishedPayload(event);
      if (payload) published.push({ type: event.type, data: payload.data, streamRevision: event.revision });
    }
    // The payloads were just parsed from the log and are this replay's own: decrypted where they are.
    const decrypted = decryption
      ? decryption.decryptInPlace(published, personalFields, keyOf).then(() => published)
      : Promise.resolve(published);
    decrypted.catch(() => {});
    return {
      read: page.length,
      last: page.length > 0 ? (page[page.length - 1] as ReplayedEvent).position : after,
      published: decrypted,
    };
  };
  let position = options.after ?? 0;
  let done = 0;
  try {
    let page = await readPage(position);
    while (page.read > 0) {
      // The next page is read and sent to be decrypted before this one's decryption is awaited, so the thread
      // has it queued as soon as it is done with this one.
      const next = await readPage(page.last);
      await projector.applyEvents(await page.published);
      position = page.last;
      await projector.advance(position);
      done += page.read;
      options.onProgress?.(done);
      page = next;
    }
    return position;
  } finally {
    await decryption?.close();
  }
}

/** The embedded mode's start: the whole log folded into fresh in-memory read models. */
export async function rebuildInMemory(
  events: EventStore,
  options: ProjectorOptions & { onProgress?: (done: number) => void } = {},
): Promise<{ store: MemoryReadModelStore; position: number }> {
  const store = createMemoryReadModelStore({ counters, feedCap: options.feedCap });
  // Ranked once each at the end, from the documents as the fold leaves them, rather than note by note.
  store.rankings.rankAllAtSettle();
  store.search.rankAllAtSettle();
  const projector = new Projector(store, { ...options, rebuild: true });
  const position = await replay(events, projector, {
    onProgress: options.onProgress,
    ...(options.dataKeys ? { dataKeys: options.dataKeys } : {}),
  });
  // The rankings built whole, now rather than on the first read.
  store.rankings.settle();
  store.search.settle();
  return { store, position };
}

/**
 * Writes a memory generation into an empty MongoDB/Redis generation, in two lanes side by side:
 * - the largest collection: its documents, then its indexes;
 * - the other collections in turn, documents then indexes, and then Redis: the feeds, the merged authors and
 *   the hot copies (users, posts, what each user likes), the search indexes and the rankings, in pipelines of
 *   a few thousand commands.
 * Documents go in by unordered bulk inserts of 5,000 in `_id` order, and each collection is indexed once
 * complete (an index built in one pass costs less than one kept by every insert).
 * Two lanes, rather than every collection and Redis at once: FerretDB on SQLite takes one write at a time, so
 * further writers only wait (sleeping in SQLite's busy handler), and Redis writes during the inserts took CPU
 * from FerretDB's process on a two-core machine. Measured with the rebuild benchmark's history on a fresh
 * FerretDB, in rounds of each arrangement in turn: all at once 6.2-9.5 s; two writers, then indexes and Redis
 * 6.0-7.1 s; these two lanes 6.4-7.7 s against 6.7-8.6 s for the previous one in the same (slower) rounds.
 */
export async function exportGeneration(
  source: MemoryReadModelStore,
  target: MongoRedisReadModelStore,
): Promise<void> {
  const insertDocuments = async (name: CollectionName) => {
    // In `_id` order: every batch then lands on a few neighbouring pages of the `_id` index instead of a
    // hundred scattered ones. Measured on FerretDB (SQLite): 100,000 likes in 3.1 s instead of 4.9 s.
    const docs = [...source.documents.stored(name)].sort(byId);
    // Counts live in Redis alone (RedisIndexes): MongoDB's documents carry none.
    const countFields = target.documents.indexes.fieldsCountedInto(name);
    for (let i = 0; i < docs.length; i += 5_000) {
      await target.documents.collection(name).insertMany(
        docs.slice(i, i + 5_000).map((doc) => toMongoDocument(doc, countFields)),
        { ordered: false },
      );
    }
  };
  const writeFeeds = async () => {
    const feeds = Object.entries(source.feeds.dump());
    for (let i = 0; i < feeds.length; i += 250) await target.feeds.addEach(feeds.slice(i, i + 250));
    await target.feeds.mergeEach(Object.entries(source.feeds.dumpMergedAuthors()));
  };
  const writeHotCopies = async () => {
    const { hot, indexes } = target.documents;
    for (const name of hotCollections) {
      const docs = source.documents.stored(name);
      for (let i = 0; i < docs.length; i += 2_000) {
        const pipeline = target.redis.pipeline();
        hot.putAll(pipeline, name, docs.slice(i, i + 2_000));
        await execOrThrow(pipeline);
      }
    }
    // The counted documents' states (the edges whole), their lists, and the counts of documents without a hot
    // copy (the hot ones carry theirs).
    for (const name of collections) {
      const docs = source.documents.stored(name);
      for (let i = 0; i < docs.length; i += 5_000) {
        const pipeline = target.redis.pipeline();
        indexes.putAll(pipeline, name, docs.slice(i, i + 5_000), isHot(name));
        if (pipeline.length > 0) await execOrThrow(pipeline);
      }
    }
    const likes = source.documents.stored('likes');
    for (let i = 0; i < likes.length; i += 20_000) {
      const pipeline = target.redis.pipeline();
      hot.putLikes(pipeline, likes.slice(i, i + 20_000));
      await execOrThrow(pipeline);
    }
  };
  const writeSearch = async () => {
    for (const [index, { filed, erased }] of Object.entries(source.search.dump()) as [
      SearchIndexName,
      SearchIndexDump,
    ][]) {
      const entries = Object.entries(filed);
      for (let i = 0; i < entries.length; i += 2_000) {
        const pipeline = target.redis.pipeline();
        for (const [id, terms] of entries.slice(i, i + 2_000))
          target.search.queuePut(pipeline, index, id, terms);
        await execOrThrow(pipeline);
      }
      await target.search.erase(index, erased);
    }
  };
  // The rankings as the fold ranked them, loaded whole: the same entries a ranking of each post and account
  // from what is written beside them would set (see queueLoad, queueLoadRanks), without reading any of it back.
  const writeRankings = async () => {
    const entries = [...source.rankings.entries()];
    for (let i = 0; i < entries.length; i += 10_000) {
      const pipeline = target.redis.pipeline();
      for (let j = i; j < Math.min(i + 10_000, entries.length); j += 500)
        target.rankings.queueLoad(pipeline, entries.slice(j, Math.min(j + 500, i + 10_000)));
      await execOrThrow(pipeline);
    }
    const accounts = [...source.search.accountsRanked()];
    for (let i = 0; i < accounts.length; i += 2_000) {
      const pipeline = target.redis.pipeline();
      target.search.queueLoadRanks(pipeline, accounts.slice(i, i + 2_000));
      await execOrThrow(pipeline);
    }
  };
  // The edges live in Redis alone (redisOnly): they are written with the counted states.
  const [largest, ...others] = collections
    .filter((name) => !redisOnly.has(name))
    .sort((a, b) => source.documents.sizeOf(b) - source.documents.sizeOf(a)) as [
    CollectionName,
    ...CollectionName[],
  ];
  await Promise.all([
    (async () => {
      await insertDocuments(largest);
      await target.documents.ensureIndexes([largest]);
    })(),
    (async () => {
      for (const name of others) await insertDocuments(name);
      await target.documents.ensureIndexes(others);
      await Promise.all([writeFeeds(), writeHotCopies(), writeSearch(), writeRankings()]);
    })(),
  ]);
  await target.checkpoint.advance(await source.checkpoint.position());
}

const byId = (a: Readonly<Doc>, b: Readonly<Doc>) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** A document as MongoDB stores it (`id` as `_id`, no counts), copied field by field: a rest pattern
 * (`{ id, ...fields }`) took 3 µs a document, a sixth of the export's own CPU, which FerretDB's process needs on
 * a small machine. */
function toMongoDocument(doc: Readonly<Doc>, countFields: readonly string[]): Document {
  const stored: Document = { _id: doc.id };
  for (const field in doc) if (field !== 'id' && !countFields.includes(field)) stored[field] = doc[field];
  return stored;
}

export interface RebuildResult {
  generation: number;
  previous: number;
  events: number;
  position: number;
  seconds: number;
}

/**
 * Rebuilds the distributed read models into a fresh generation while the live one keeps answering:
 * 1. fold the whole log into memory with the same projection handlers (no round trip per event),
 * 2. bulk-write the result into the new generation's collections and keys,
 * 3. catch up incrementally on what was appended meanwhile, then switch the pointer (one write: every query
 *    process and live worker follows it on its next poll),
 * 4. wait `graceMs`: until a live worker has moved, it applies what it consumes to the old generation only.
 *    A worker writes only to a generation it read from the pointer within its staleness bound
 *    (Generations.follow: 2 s by default), so past that bound, plus the time of one write, nothing is written to
 *    the old generation any more. The last catch-up comes after that wait, so the new generation gets those
 *    events too (the handlers are idempotent, so overlap is harmless); then the old generation is dropped, when
 *    no query can still be reading it.
 */
export async function rebuildGeneration(options: {
  events: EventStore;
  generations: Generations;
  projector?: ProjectorOptions;
  /**
   * how long followers of the pointer get to move to the new generation (default 5 s): longer than their
   * staleness bound (Generations.follow, 2 s by default) and the time of one write
   */
  graceMs?: number;
  onProgress?: (done: number) => void;
}): Promise<RebuildResult> {
  const started = Date.now();
  const previous = await options.generations.active();
  const generation = previous + 1;
  const target = options.generations.store(generation);
  await target.drop();
  let events = 0;
  const { store, position: folded } = await rebuildInMemory(options.events, {
    ...options.projector,
    onProgress: (done) => {
      events = done;
      options.onProgress?.(done);
    },
  });
  await exportGeneration(store, target);
  const projector = new Projector(target, options.projector);
  const caughtUp = await replay(options.events, projector, { after: folded });
  await options.generations.switchTo(generation);
  await new Promise((resolve) => setTimeout(resolve, options.graceMs ?? 5_000));
  const position = await replay(options.events, projector, { after: caughtUp });
  await options.generations.store(previous).drop();
  return { generation, previous, events, position, seconds: (Date.now() - started) / 1000 };
}
