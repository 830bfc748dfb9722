import type { EventStore, RecordedEvent } from '@gram/event-store';
import { publicMessageOf } from '@gram/messaging';
import { Projector, type ProjectorOptions } from '../projection/projector.js';
import { collections } from '../read-model/document-store.js';
import type { Generations } from '../read-model/generations.js';
import { createMemoryReadModelStore, type MemoryReadModelStore } from '../read-model/memory-store.js';
import type { MongoRedisReadModelStore } from '../read-model/mongo-redis-store.js';

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

/** Projects the log after `after` through `projector`; answers the last position applied. */
export async function replay(
  events: EventStore,
  projector: Projector,
  options: { after?: number; onProgress?: (done: number) => void } = {},
): Promise<number> {
  let position = options.after ?? 0;
  let done = 0;
  for await (const event of readLog(events, position)) {
    const published = publicMessageOf(event);
    if (published) await projector.apply(published.message);
    position = event.position;
    options.onProgress?.(++done);
  }
  return position;
}

/** The embedded mode's start: the whole log folded into fresh in-memory read models. */
export async function rebuildInMemory(
  events: EventStore,
  options: ProjectorOptions & { onProgress?: (done: number) => void } = {},
): Promise<{ store: MemoryReadModelStore; position: number }> {
  const store = createMemoryReadModelStore({ feedCap: options.feedCap });
  const position = await replay(events, new Projector(store, options), { onProgress: options.onProgress });
  return { store, position };
}

/**
 * Writes a memory generation into an empty MongoDB/Redis generation: unordered bulk inserts of 5,000 documents,
 * one collection per concurrent writer, and the feeds in one Redis pipeline per 250 users.
 */
export async function exportGeneration(
  source: MemoryReadModelStore,
  target: MongoRedisReadModelStore,
): Promise<void> {
  const dump = source.documents.dump();
  const insertCollection = async (name: (typeof collections)[number]) => {
    const docs = dump[name];
    for (let i = 0; i < docs.length; i += 5_000) {
      await target.documents.collection(name).insertMany(
        docs.slice(i, i + 5_000).map(({ id, ...fields }) => ({ _id: id as never, ...fields })),
        { ordered: false },
      );
    }
  };
  const feeds = Object.entries(source.feeds.dump());
  const writeFeeds = async () => {
    for (let i = 0; i < feeds.length; i += 250) await target.feeds.addEach(feeds.slice(i, i + 250));
  };
  await Promise.all([...collections.map(insertCollection), writeFeeds()]);
  await target.documents.ensureIndexes();
  await target.checkpoint.advance(await source.checkpoint.position());
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
 * 3. catch up incrementally on what was appended meanwhile, switch the pointer (one write: every query process
 *    follows it on its next poll), catch up once more for events the live worker applied to the old generation
 *    between the two (the handlers are idempotent, so overlap is harmless), then drop the old generation after
 *    `graceMs`, once no query can still be reading it.
 */
export async function rebuildGeneration(options: {
  events: EventStore;
  generations: Generations;
  projector?: ProjectorOptions;
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
  const position = await replay(options.events, projector, { after: caughtUp });
  if (previous !== generation) {
    await new Promise((resolve) => setTimeout(resolve, options.graceMs ?? 5_000));
    await options.generations.store(previous).drop();
  }
  return { generation, previous, events, position, seconds: (Date.now() - started) / 1000 };
}
