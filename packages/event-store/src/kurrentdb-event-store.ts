/**
 * The distributed event store: a thin mapping of our EventStore interface onto EventStoreDB / KurrentDB.
 *
 * Client: `@kurrent/kurrentdb-client`, not `@eventstore/db-client`. EventStoreDB was renamed KurrentDB and its
 * Node client moved to the new package; the old one is deprecated and receives no fixes, while the new one
 * speaks to EventStoreDB 22.x+ servers and KurrentDB alike, with the same API shape. docker-compose runs the
 * current KurrentDB image.
 *
 * The mapping, piece by piece:
 * - expected revision: 'any' -> ANY, 'no_stream' -> NO_STREAM, 'stream_exists' -> STREAM_EXISTS,
 *   n -> BigInt(n). The server's WrongExpectedVersionError becomes our WrongExpectedRevisionError, with its
 *   actual state: 'no_stream' -> -1, a revision -> Number(revision).
 * - event ids: the server enforces idempotency itself (an append repeating the ids of an earlier append with
 *   the same expected revision succeeds without writing again).
 * - readStream on a stream that does not exist (StreamNotFound) -> [].
 * - global position: the event's commit position, as a Number (it stays far below 2^53: that is 9 PB of log).
 *   Its prepare position is equal to it for every event this client can write: the two differ only inside an
 *   explicit multi-request transaction, which only the retired TCP API offered. Every event written over gRPC
 *   (in one append, however many events) is a "committed prepare" whose commit and prepare positions are both
 *   its own log position. So a position we hand out is turned back into `{ commit: p, prepare: p }` when a read
 *   or a subscription resumes from it, without keeping prepare positions around.
 * - system events: the server filters out event types starting with `$` (`excludeSystemEvents`), and we also
 *   drop anything in a `$`-prefixed stream (metadata streams, projections' link streams): the global log that our
 *   consumers see holds only our own events, as in the SQLite store.
 */
import { createRequire } from 'node:module';
import type {
  AllStreamSubscription,
  AppendStreamState,
  Filter,
  JSONType,
  KurrentDBClient,
  RecordedEvent as KurrentRecordedEvent,
  MetadataType,
  Position,
  ResolvedEvent,
} from '@kurrent/kurrentdb-client';
import {
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type ReplayedEvent,
  type SubscribeOptions,
  type Subscription,
  WrongExpectedRevisionError,
} from './event-store.js';

/**
 * The client, loaded on first use rather than with this package: with its gRPC stack it adds about 20 MB of
 * memory (9 MB of it JavaScript heap, which every garbage collection walks) to every process, and only
 * deployments on KurrentDB need it; the embedded mode and the tests on SQLite never do.
 */
const requireModule = createRequire(import.meta.url);
let kurrentModule: typeof import('@kurrent/kurrentdb-client') | undefined;
const kurrent = (): typeof import('@kurrent/kurrentdb-client') =>
  (kurrentModule ??= requireModule('@kurrent/kurrentdb-client'));

export interface KurrentDbEventStoreOptions {
  /** e.g. `kurrentdb://localhost:2113?tls=false`; the deprecated `esdb://` scheme is accepted too */
  connectionString: string;
}

function toStreamState(expected: ExpectedRevision): AppendStreamState {
  switch (expected) {
    case 'any':
      return kurrent().ANY;
    case 'no_stream':
      return kurrent().NO_STREAM;
    case 'stream_exists':
      return kurrent().STREAM_EXISTS;
    default:
      if (!(Number.isSafeInteger(expected) && expected >= 0)) {
        throw new RangeError(
          `expected revision must be a revision (an integer >= 0), 'no_stream', 'stream_exists' or 'any'; got ${expected}`,
        );
      }
      return BigInt(expected);
  }
}

/** See the module comment: commit and prepare positions coincide for every event written over gRPC. */
function toLogPosition(position: number): Position {
  return { commit: BigInt(position), prepare: BigInt(position) };
}

/** The error classes are compared by their `type` tag: a second copy of the client package breaks instanceof. */
function errorType(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'type' in error && typeof error.type === 'string'
    ? error.type
    : undefined;
}

function isSystem(event: KurrentRecordedEvent): boolean {
  return event.streamId.startsWith('$') || event.type.startsWith('$');
}

function toRecordedEvent(event: KurrentRecordedEvent): RecordedEvent {
  if (!event.position) {
    // Servers before 22.6 do not report positions on stream reads; our interface promises them.
    throw new Error(
      `event ${event.id} in ${event.streamId} came without a global position (needs KurrentDB >= 22.6)`,
    );
  }
  const metadata = event.metadata;
  return {
    id: event.id,
    streamId: event.streamId,
    type: event.type,
    data: event.data,
    metadata:
      typeof metadata === 'object' &&
      metadata !== null &&
      !Array.isArray(metadata) &&
      !(metadata instanceof Uint8Array)
        ? (metadata as Record<string, unknown>)
        : {},
    revision: Number(event.revision),
    position: Number(event.position.commit),
    createdAt: event.created,
  };
}

/** Our own events from a resolved event, or undefined for system events and links to deleted events. */
function ownEvent(resolved: ResolvedEvent): RecordedEvent | undefined {
  const event = resolved.event;
  if (!event || isSystem(event)) return undefined;
  return toRecordedEvent(event);
}

export class KurrentDbEventStore implements EventStore {
  private readonly subscriptions = new Set<KurrentDbSubscription>();
  private closed = false;

  constructor(private readonly client: KurrentDBClient) {}

  async appendToStream(
    streamId: string,
    events: readonly NewEvent[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    const streamState = toStreamState(options.expectedRevision);
    const eventData = events.map((event) =>
      kurrent().jsonEvent({
        ...(event.id === undefined ? {} : { id: event.id }),
        type: event.type,
        // The client sends `data` through JSON.stringify, which takes any JSON value; its type is narrower.
        data: event.data as JSONType,
        metadata: (event.metadata ?? {}) as MetadataType,
      }),
    );
    try {
      const result = await this.client.appendToStream(streamId, eventData, { streamState });
      const nextExpectedRevision = Number(result.nextExpectedRevision);
      const position =
        result.position === undefined
          ? await this.positionOf(streamId, nextExpectedRevision)
          : result.position.commit;
      return { nextExpectedRevision, position: Number(position) };
    } catch (error) {
      if (errorType(error) === 'wrong-expected-version') {
        const actualState = (error as { actualState: 'no_stream' | bigint }).actualState;
        throw new WrongExpectedRevisionError(
          streamId,
          options.expectedRevision,
          actualState === kurrent().NO_STREAM ? -1 : Number(actualState),
        );
      }
      throw error;
    }
  }

  /** The commit position of one event, for the rare append response that carries none (an empty append). */
  private async positionOf(streamId: string, revision: number): Promise<bigint> {
    if (revision < 0) return 0n;
    const [event] = await this.readStream(streamId, { fromRevision: revision, maxCount: 1 });
    return BigInt(event?.position ?? 0);
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const recorded: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(streamId, {
        direction: kurrent().FORWARDS,
        fromRevision: options.fromRevision === undefined ? kurrent().START : BigInt(options.fromRevision),
        ...(options.maxCount === undefined ? {} : { maxCount: options.maxCount }),
      })) {
        if (resolved.event) recorded.push(toRecordedEvent(resolved.event));
      }
    } catch (error) {
      if (errorType(error) === 'stream-not-found') return [];
      throw error;
    }
    return recorded;
  }

  /** KurrentDB has no read of several streams: they are read side by side. */
  readStreams(streamIds: readonly string[]): Promise<RecordedEvent[][]> {
    return Promise.all(streamIds.map((streamId) => this.readStream(streamId)));
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const maxCount = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    if (maxCount <= 0) return [];
    const recorded: RecordedEvent[] = [];
    for await (const event of this.#eventsAfter(options.after ?? 0, maxCount)) {
      recorded.push(event);
      if (recorded.length === maxCount) break;
    }
    return recorded;
  }

  /**
   * KurrentDB filters a read of `$all` by stream name or event type only, never by metadata, so this reads the log
   * from `after` and keeps the account's events: its cost grows with the log, not with the account. It serves
   * "download your data", one request per account and day, which can afford it; a deployment where it cannot
   * would keep an index stream per account (a projection linking each event to `actor-<id>`).
   */
  async readByActor(actorId: string, options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const maxCount = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    if (maxCount <= 0) return [];
    const recorded: RecordedEvent[] = [];
    for await (const event of this.#eventsAfter(options.after ?? 0)) {
      if (event.metadata.actorId === actorId) recorded.push(event);
      if (recorded.length === maxCount) break;
    }
    return recorded;
  }

  /** The server filters `$all` by event type: only the events asked for travel. */
  async readByType(types: readonly string[], options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const maxCount = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    if (maxCount <= 0 || types.length === 0) return [];
    const escaped = types.map((type) => type.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    const filter = kurrent().eventTypeFilter({ regex: `^(?:${escaped.join('|')})$` });
    const recorded: RecordedEvent[] = [];
    for await (const event of this.#eventsAfter(options.after ?? 0, maxCount, filter)) {
      recorded.push(event);
      if (recorded.length === maxCount) break;
    }
    return recorded;
  }

  /**
   * The log's own events strictly after `after`, forwards; with `maxCount`, the server sends no more than a page
   * of that many needs. The server starts a read *at* the given position (inclusive) while `after` is exclusive:
   * it is asked for one more and the event at `after` is dropped, so that a full page still holds `maxCount`
   * events and a caller paging until a short page does not stop early.
   */
  async *#eventsAfter(
    after: number,
    maxCount?: number,
    /** a server-side filter in place of the one that leaves system events out */
    filter: Filter = kurrent().excludeSystemEvents(),
  ): AsyncGenerator<RecordedEvent> {
    const limit =
      maxCount === undefined
        ? {}
        : { maxCount: after > 0 ? Math.min(maxCount + 1, Number.MAX_SAFE_INTEGER) : maxCount };
    for await (const resolved of this.client.readAll({
      direction: kurrent().FORWARDS,
      fromPosition: after > 0 ? toLogPosition(after) : kurrent().START,
      ...limit,
      filter,
    })) {
      const event = ownEvent(resolved);
      if (event && event.position > after) yield event;
    }
  }

  /** The events as readAll reads them: the client decodes each whole anyway. */
  readAllForReplay(options: ReadAllOptions = {}): Promise<ReplayedEvent[]> {
    return this.readAll(options);
  }

  async headPosition(): Promise<number> {
    for await (const resolved of this.client.readAll({
      direction: kurrent().BACKWARDS,
      fromPosition: kurrent().END,
      maxCount: 1,
      filter: kurrent().excludeSystemEvents(),
    })) {
      const event = ownEvent(resolved);
      if (event) return event.position;
    }
    return 0;
  }

  subscribeToAll(options: SubscribeOptions = {}): Subscription {
    const after = options.after ?? 0;
    // The server resumes a subscription strictly after the given position (unlike a read).
    const source = this.client.subscribeToAll({
      fromPosition: after > 0 ? toLogPosition(after) : kurrent().START,
      filter: kurrent().excludeSystemEvents(),
    });
    const subscription = new KurrentDbSubscription(source, after, () =>
      this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    await this.client.dispose();
  }
}

/**
 * Our pulled Subscription over the client's subscription, which is a Node Readable (object mode). Reading it
 * through its async iterator is already pulled: the Readable buffers up to its highWaterMark, then stops
 * reading the gRPC stream, and gRPC flow control holds the server back. We add the system-event filter, the
 * number conversion, and a `close()` that ends a pending `next()`. A subscription the server drops (e.g. on a
 * leader change) ends the iteration with that error; the consumer resubscribes from its checkpoint.
 */
class KurrentDbSubscription implements Subscription {
  private closed = false;
  private readonly iterator: AsyncGenerator<RecordedEvent, void, undefined>;

  constructor(
    private readonly source: AllStreamSubscription,
    private after: number,
    private readonly onClose: () => void,
  ) {
    this.iterator = this.events();
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    return this.iterator;
  }

  private async *events(): AsyncGenerator<RecordedEvent, void, undefined> {
    const resolvedEvents = this.source[Symbol.asyncIterator]();
    try {
      while (!this.closed) {
        let next: IteratorResult<ResolvedEvent>;
        try {
          next = await resolvedEvents.next();
        } catch (error) {
          // close() destroys the source, which fails a pending read with a premature-close error: that is the
          // end we asked for, not a failure.
          if (this.closed) return;
          throw error;
        }
        if (next.done || this.closed) return;
        const event = ownEvent(next.value);
        // Defensive: never hand out an event at or before one already delivered.
        if (!event || event.position <= this.after) continue;
        this.after = event.position;
        yield event;
      }
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    // unsubscribe() cancels the gRPC call; the piped Readable does not end by itself after a cancel, so it is
    // destroyed too, which releases a consumer waiting in next().
    await this.source.unsubscribe();
    this.source.destroy();
  }
}

export function openKurrentDbEventStore(options: KurrentDbEventStoreOptions): KurrentDbEventStore {
  // `esdb://` still works but makes the client print a deprecation warning on every start.
  const connectionString = options.connectionString.replace(/^esdb(\+discover)?:\/\//, 'kurrentdb$1://');
  return new KurrentDbEventStore(kurrent().KurrentDBClient.connectionString(connectionString));
}
