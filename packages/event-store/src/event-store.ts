/**
 * The one event store interface of the project. Two adapters implement it:
 * SQLite (embedded default) and EventStoreDB / KurrentDB (distributed).
 *
 * Revisions and positions are plain numbers: stream revisions start at 0, global positions
 * grow strictly along the global log (SQLite: a sequence from 1; EventStoreDB: the commit
 * position). Both stay far below 2^53 in any realistic life of the system.
 */

/** What the writer believes about the stream it appends to. */
export type ExpectedRevision =
  | 'any'
  | 'no_stream'
  | 'stream_exists'
  /** the revision of the last event in the stream */
  | number;

export interface NewEvent {
  /** a UUID; generated when absent. Re-appending the same id is the adapter's idempotency hook. */
  id?: string;
  type: string;
  data: unknown;
  metadata?: Record<string, unknown>;
}

export interface RecordedEvent {
  id: string;
  streamId: string;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  /** position of the event in its stream, from 0 */
  revision: number;
  /** position of the event in the global log; strictly increasing in read order */
  position: number;
  createdAt: Date;
}

/** An event as a replay of the global log reads it (readAllForReplay). */
export type ReplayedEvent = Pick<RecordedEvent, 'type' | 'data' | 'metadata' | 'revision' | 'position'>;

export interface AppendResult {
  /** revision of the last event appended */
  nextExpectedRevision: number;
  /** global position of the last event appended */
  position: number;
}

export interface ReadStreamOptions {
  fromRevision?: number;
  maxCount?: number;
}

export interface ReadAllOptions {
  /** read events strictly after this global position; from the start when absent */
  after?: number;
  maxCount?: number;
}

export interface SubscribeOptions {
  /** deliver events strictly after this global position; from the start when absent */
  after?: number;
}

/**
 * A pulled subscription to the global log: `for await` it. Events come one at a time in
 * global order; the next is not fetched until the consumer asks for it, so a handler never
 * runs concurrently with itself. `close()` ends the iteration.
 */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
}

export interface EventStore {
  appendToStream(
    streamId: string,
    events: readonly NewEvent[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult>;
  /** the stream's events in order; an empty array when the stream does not exist */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /**
   * Several whole streams at once, each as readStream reads it, in the order of `streamIds`: one statement on
   * SQLite where a check reads a few small streams on every request (the block streams of a like's pairs).
   */
  readStreams(streamIds: readonly string[]): Promise<RecordedEvent[][]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /**
   * readAll without what a replay of the log never reads (each event's id, stream id and time), which a
   * store may then not build: in the SQLite store those strings are a fifth of a page's reading time. Each
   * read answers objects of its own, which the caller may change (a rebuild decrypts its pages in place).
   */
  readAllForReplay(options?: ReadAllOptions): Promise<ReplayedEvent[]>;
  /**
   * The events one account caused (metadata `actorId`), in global order, from every stream: what "download your
   * data" reads. Paged like readAll (`after`, `maxCount`).
   */
  readByActor(actorId: string, options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /**
   * The events of the given types, from every stream, in global order, paged like readAll: what a process that
   * reacts to a rare event reads when no stream gathers what it needs (the follow requests pending to an account
   * that turns public). Its cost grows with the log: not for a request path.
   */
  readByType(types: readonly string[], options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** position of the newest event in the global log; 0 when the log is empty */
  headPosition(): Promise<number>;
  subscribeToAll(options?: SubscribeOptions): Subscription;
  close(): Promise<void>;
}

/** The expected revision did not hold: somebody else appended first. */
export class WrongExpectedRevisionError extends Error {
  override readonly name = 'WrongExpectedRevisionError';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** the stream's actual last revision; -1 when the stream does not exist */
    readonly actual: number,
  ) {
    super(`stream ${streamId}: expected revision ${String(expected)}, actual ${actual}`);
  }
}
