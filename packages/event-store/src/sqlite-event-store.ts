/**
 * The embedded event store: one SQLite file, written through better-sqlite3.
 *
 * Guarantees, and where each comes from:
 * - An acknowledged append is durable: WAL mode with `synchronous=FULL` (see `openDatabase`), and a promise
 *   resolves only after its transaction's COMMIT returned; or, with `syncInBackground`, only after the fsync of
 *   the write-ahead log that followed its COMMIT (see `BackgroundSync`).
 * - Expected revisions hold across every writer, in this process or another one on the machine: each append
 *   checks the stream's head and inserts inside one `BEGIN IMMEDIATE` transaction, which holds SQLite's single
 *   write lock from the check to the commit. UNIQUE(stream_id, revision) is the last line of defence.
 * - The global log has no gaps behind a reader: see `SqliteSubscription`.
 *
 * Concurrent appends in one process are grouped: every append issued during one turn of the event loop joins
 * one transaction (one fsync), each inside its own SAVEPOINT so that one append failing its expected revision
 * leaves the others intact. Each caller still gets exactly the semantics of its own transaction: all or none of
 * its events, visible and acknowledged only once the COMMIT that contains them is durable. If that COMMIT fails,
 * every append of the group is rejected and none of them is visible.
 *
 * Several processes on one file are safe but not fair: better-sqlite3 is synchronous, so a process waiting for
 * another's write lock sleeps inside SQLite's busy handler (blocking its own event loop) with a growing back-off,
 * while the lock holder can take the lock again microseconds after releasing it. A process appending flat out can
 * therefore keep another waiting for long stretches, up to `busyTimeoutMs`, after which that append fails with
 * SQLITE_BUSY and nothing of it is stored. The embedded mode runs one process; several are for tools (rebuild,
 * scripts) next to it.
 */
import { closeSync, fdatasync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { validate as isUuid, v7 as uuidv7 } from 'uuid';
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

export interface SqliteEventStoreOptions {
  /** path of the database file (its directory is created), or `:memory:` */
  path: string;
  /**
   * How long a writer waits for another process's write lock before failing with SQLITE_BUSY. The wait is
   * synchronous (better-sqlite3): this process's event loop stands still meanwhile.
   */
  busyTimeoutMs?: number;
  /**
   * How often a caught-up subscription looks for events appended by other processes. Appends made through
   * this store instance wake subscriptions at once.
   */
  pollIntervalMs?: number;
  /** rows per read while a subscription catches up */
  subscriptionPageSize?: number;
  /**
   * Makes each commit durable off the event loop. With `synchronous=FULL`, SQLite's COMMIT waits for the fsync
   * of the write-ahead log on the calling thread, and better-sqlite3 calls it on the event loop: measured in the
   * embedded mode at 500 likes/s, a fifth of the process's time stood still there, every request and stream
   * waiting behind it. Here COMMIT skips that fsync (`synchronous=NORMAL`) and the log is fsynced in libuv's
   * thread pool; an append resolves, and the events it added are handed to subscriptions and `readAll`, only
   * once the fsync that followed its COMMIT is done. So what was acknowledged or read as the log is durable, as
   * with FULL.
   *
   * What differs: a stream read (`readStream`, what commands decide on) may see an event between its COMMIT and
   * that fsync; and another process reading the file sees it then too. So it is for a process alone on its
   * file: the embedded mode, not the distributed one's services sharing a file with their relay.
   */
  syncInBackground?: boolean;
  /** @internal the call that makes the log durable, for syncInBackground; a test holds it */
  fdatasync?: (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => void;
}

/**
 * An event id that is already stored was appended again, and the append is not a retry of the append that
 * stored it (see `appendToStream` on idempotency).
 */
export class DuplicateEventIdError extends Error {
  override readonly name = 'DuplicateEventIdError';
  constructor(
    readonly streamId: string,
    readonly eventId: string,
  ) {
    super(
      `stream ${streamId}: event id ${eventId} is already stored and this append is not a retry of its append`,
    );
  }
}

const SCHEMA_VERSION = 1;

/**
 * A row of `events` as read: statements that return events run in better-sqlite3's raw mode, which hands out
 * arrays instead of building an object per row (a third faster on full reads of the log).
 */
type EventRow = [
  position: number,
  id: string,
  streamId: string,
  revision: number,
  type: string,
  data: string,
  metadata: string,
  createdAt: number,
];

/** A row of `events` as readAllForReplay reads it (raw mode, as EventRow). */
type ReplayRow = [position: number, revision: number, type: string, data: string, metadata: string];

interface StreamHeadRow {
  revision: number;
  position: number;
}

/** An event serialised before it joins a transaction, so a JSON error fails only its own append. */
interface SerializedEvent {
  id: string;
  /** the caller chose the id: only then can the append be a retry of an earlier one */
  idGiven: boolean;
  type: string;
  data: string;
  metadata: string;
}

interface PendingAppend {
  streamId: string;
  expected: ExpectedRevision;
  events: SerializedEvent[];
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; result: AppendResult } | { ok: false; error: unknown };

/** in the order of `EventRow` */
const EVENT_COLUMNS = 'position, id, stream_id, revision, type, data, metadata, created_at';

function openDatabase(path: string, busyTimeoutMs: number, syncInBackground: boolean): Database.Database {
  const inMemory = path === ':memory:';
  if (!inMemory) mkdirSync(dirname(resolve(path)), { recursive: true });
  // `timeout` is SQLite's busy_timeout: a writer blocked by another process's write lock retries for this long.
  const db = new Database(path, { timeout: busyTimeoutMs });
  if (!inMemory) {
    // WAL: readers (subscriptions, other processes) never block the writer and always see a committed snapshot.
    // Switching a fresh file to WAL fails at once with SQLITE_BUSY, without SQLite's busy handler, while another
    // connection is in the middle of the same switch (services started together open one file at the same
    // instant), so this step waits out the other process itself.
    retryWhileBusy(Date.now() + busyTimeoutMs, () => db.pragma('journal_mode = WAL'));
  }
  // FULL, not NORMAL: in WAL mode NORMAL skips the fsync of the WAL at each commit, so a transaction that was
  // committed (and acknowledged to the caller) can vanish after a power loss or OS crash. An acknowledged
  // append must survive that: the caller has already told a client "done" and a later command may depend on it.
  // FULL costs one fsync per transaction; grouping concurrent appends into one transaction pays it back.
  // With syncInBackground, BackgroundSync makes the same fsync, off the event loop, before anything is acknowledged.
  db.pragma(syncInBackground ? 'synchronous = NORMAL' : 'synchronous = FULL');
  // Reads served from memory: every write decides on streams it reads first (the post, the author, the pair's
  // block streams), several point reads per request. With SQLite's default 2 MB page cache and no memory map,
  // each went to the OS with a read() per page. A 64 MB cache per connection and the file mapped (up to 1 GB of
  // address space, not of memory: the OS pages it in and out) keep the indexes' hot pages a pointer away.
  db.pragma('cache_size = -65536');
  if (!inMemory) db.pragma('mmap_size = 1073741824');
  migrate(db);
  return db;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Runs `step` until it does not fail with SQLITE_BUSY, sleeping 1 ms, 2 ms, ... up to 50 ms between tries. */
function retryWhileBusy<T>(deadline: number, step: () => T): T {
  for (let pauseMs = 1; ; pauseMs = Math.min(pauseMs * 2, 50)) {
    try {
      return step();
    } catch (error) {
      const busy = error instanceof Database.SqliteError && error.code.startsWith('SQLITE_BUSY');
      if (!busy || Date.now() >= deadline) throw error;
      // Opening is synchronous (the constructor of the store), so the wait blocks like SQLite's own busy handler.
      Atomics.wait(sleeper, 0, 0, pauseMs);
    }
  }
}

function migrate(db: Database.Database): void {
  // IMMEDIATE: several processes may open a fresh file at once; the write lock makes creation happen once.
  db.exec('BEGIN IMMEDIATE');
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version < SCHEMA_VERSION) {
      // No `streams` table: a stream's head is the last entry of the UNIQUE(stream_id, revision) index, found by
      // one index descent, and that index already holds the position (the rowid). A separate table would cost
      // a second write per append and could disagree with the events it summarises.
      db.exec(`
        CREATE TABLE IF NOT EXISTS events (
          position   INTEGER PRIMARY KEY AUTOINCREMENT,
          id         TEXT    NOT NULL UNIQUE,
          stream_id  TEXT    NOT NULL,
          revision   INTEGER NOT NULL,
          type       TEXT    NOT NULL,
          data       TEXT    NOT NULL,
          metadata   TEXT    NOT NULL,
          created_at INTEGER NOT NULL,
          UNIQUE (stream_id, revision)
        ) STRICT;
        PRAGMA user_version = ${SCHEMA_VERSION};
      `);
    }
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

/** Streams per statement of readStreams: well under SQLite's limit of 500 terms in one compound SELECT. */
const MAX_STREAMS_PER_READ = 64;

function toRecordedEvent([
  position,
  id,
  streamId,
  revision,
  type,
  data,
  metadata,
  createdAt,
]: EventRow): RecordedEvent {
  return {
    id,
    streamId,
    type,
    data: JSON.parse(data),
    metadata: JSON.parse(metadata),
    revision,
    position,
    createdAt: new Date(createdAt),
  };
}

function toReplayedEvent([position, revision, type, data, metadata]: ReplayRow): ReplayedEvent {
  return { type, data: JSON.parse(data), metadata: JSON.parse(metadata), revision, position };
}

function serialize(event: NewEvent): SerializedEvent {
  if (event.id !== undefined && !isUuid(event.id)) {
    // EventStoreDB accepts only UUIDs; refusing others here keeps the embedded mode from accepting what the
    // distributed mode would reject.
    throw new TypeError(`event id must be a UUID, got ${JSON.stringify(event.id)}`);
  }
  const data = JSON.stringify(event.data);
  if (data === undefined) throw new TypeError(`event ${event.type}: data is not JSON-serialisable`);
  return {
    // v7, not v4: v7 ids grow with time, so the UNIQUE index on ids grows at its right edge. Random v4 ids land
    // on random pages of that index, and each commit then rewrites about one page per event (measured: a third
    // of the batched append throughput). Callers may still pass any UUID.
    id: event.id ?? uuidv7(),
    idGiven: event.id !== undefined,
    type: event.type,
    data,
    metadata: JSON.stringify(event.metadata ?? {}),
  };
}

function checkExpectedRevision(value: ExpectedRevision): void {
  if (typeof value === 'number' && !(Number.isSafeInteger(value) && value >= 0)) {
    throw new RangeError(
      `expected revision must be a revision (an integer >= 0), 'no_stream', 'stream_exists' or 'any'; got ${value}`,
    );
  }
}

function revisionMatches(expected: ExpectedRevision, actual: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return actual === -1;
    case 'stream_exists':
      return actual >= 0;
    default:
      return actual === expected;
  }
}

function isUniqueViolation(error: unknown, columns: string): boolean {
  return (
    error instanceof Database.SqliteError &&
    error.code === 'SQLITE_CONSTRAINT_UNIQUE' &&
    error.message.includes(`UNIQUE constraint failed: ${columns}`)
  );
}

function prepareStatements(db: Database.Database) {
  return {
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    savepoint: db.prepare('SAVEPOINT append'),
    release: db.prepare('RELEASE append'),
    rollbackToSavepoint: db.prepare('ROLLBACK TO append'),
    streamHead: db.prepare<[string], StreamHeadRow>(
      'SELECT revision, position FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1',
    ),
    eventById: db.prepare<[string], { stream_id: string; revision: number }>(
      'SELECT stream_id, revision FROM events WHERE id = ?',
    ),
    streamIdsFrom: db.prepare<[string, number, number], { id: string; position: number }>(
      'SELECT id, position FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?',
    ),
    insert: db.prepare<[string, string, number, string, string, string, number]>(
      'INSERT INTO events (id, stream_id, revision, type, data, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    // Two statements, for a LIMIT bound as a parameter costs every run of its statement a new compilation:
    // SQLite's planner reads the LIMIT, so binding it expires the statement (measured on a log of 200,000 events:
    // 14 us per read of a stream with the LIMIT bound, 4.5 us without it). Commands read whole streams on every
    // request, several each, so they take the statement without one.
    readStream: db
      .prepare<[string, number], EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision`,
      )
      .raw(true),
    readStreamUpTo: db
      .prepare<[string, number, number], EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?`,
      )
      .raw(true),
    readAll: db
      .prepare<[number, number], EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
      )
      .raw(true),
    // No index on the actor: one would cost every append a write at a random place in a B-tree as large as the
    // log (measured: batched appends fell from 69k to 19k events/s), for a read made once a day per account at
    // most. So the log is scanned, `instr` passing over most rows before any JSON is parsed.
    readByActor: db
      .prepare<[number, string, string, number], EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events
         WHERE position > ? AND instr(metadata, ?) > 0 AND json_extract(metadata, '$.actorId') = ?
         ORDER BY position LIMIT ?`,
      )
      .raw(true),
    readByType: db
      .prepare<[number, string, number], EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events
         WHERE position > ? AND type IN (SELECT value FROM json_each(?))
         ORDER BY position LIMIT ?`,
      )
      .raw(true),
    readAllForReplay: db
      .prepare<[number, number], ReplayRow>(
        'SELECT position, revision, type, data, metadata FROM events WHERE position > ? ORDER BY position LIMIT ?',
      )
      .raw(true),
    headPosition: db.prepare<[], { position: number | null }>('SELECT MAX(position) AS position FROM events'),
    readAllUpTo: db
      .prepare<[number, number, number], EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? AND position <= ? ORDER BY position LIMIT ?`,
      )
      .raw(true),
  };
}

export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly statements: ReturnType<typeof prepareStatements>;
  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  private closed = false;
  /** caught-up subscriptions waiting for an append; each wakes and removes itself */
  private readonly appendWaiters = new Set<() => void>();
  private readonly subscriptions = new Set<SqliteSubscription>();
  private readonly readStreamsStatements = new Map<number, Database.Statement<string[], EventRow>>();
  readonly pollIntervalMs: number;
  readonly subscriptionPageSize: number;
  private readonly subscriptionPage: Database.Statement<[number, number], EventRow>;
  /** syncInBackground's fsyncs; undefined when COMMIT makes itself durable */
  private readonly background: BackgroundSync | undefined;

  constructor(options: SqliteEventStoreOptions) {
    const inBackground = options.syncInBackground === true && options.path !== ':memory:';
    this.db = openDatabase(options.path, options.busyTimeoutMs ?? 5_000, inBackground);
    this.background = inBackground
      ? new BackgroundSync(`${resolve(options.path)}-wal`, options.fdatasync ?? fdatasync)
      : undefined;
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    this.subscriptionPageSize = options.subscriptionPageSize ?? 1_000;
    this.statements = prepareStatements(this.db);
    if (!Number.isSafeInteger(this.subscriptionPageSize) || this.subscriptionPageSize < 1)
      throw new RangeError(
        `subscriptionPageSize must be a positive integer; got ${this.subscriptionPageSize}`,
      );
    // The page size written into the statement, not bound: a bound LIMIT recompiles the statement at every run
    // (see readStream), and subscriptions read a page after every append.
    this.subscriptionPage = this.db
      .prepare<[number, number], EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? AND position <= ? ORDER BY position LIMIT ${this.subscriptionPageSize}`,
      )
      .raw(true);
  }

  /**
   * Idempotency: an append whose first event carries an id that is already stored is treated like
   * EventStoreDB treats it. If it is a retry of the append that stored that id (same stream, the same ids in
   * the same order, and an expected revision that held for the original append) it succeeds again without
   * writing and returns the original result, so a client retrying after a lost response does not write twice.
   * Anything else that reuses a stored id is rejected: with WrongExpectedRevisionError when the expected revision
   * does not hold, else with DuplicateEventIdError.
   */
  appendToStream(
    streamId: string,
    events: readonly NewEvent[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    return new Promise<AppendResult>((resolvePromise, rejectPromise) => {
      if (this.closed) throw new Error('event store is closed');
      if (this.background?.failed) throw this.background.failed;
      checkExpectedRevision(options.expectedRevision);
      this.queue.push({
        streamId,
        expected: options.expectedRevision,
        events: events.map(serialize),
        resolve: resolvePromise,
        reject: rejectPromise,
      });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // setImmediate rather than a microtask: it runs after every caller woken by the previous group has had
        // its turn, so concurrent writers land in the same transaction however many awaits they take.
        setImmediate(() => this.flush());
      }
    });
  }

  /** Runs every queued append in one write transaction; settles each promise only after COMMIT. */
  private flush(): void {
    this.flushScheduled = false;
    const group = this.queue;
    this.queue = [];
    if (group.length === 0) return;
    const s = this.statements;
    const outcomes: Outcome[] = [];
    // A lone append needs no savepoint: if it fails, rolling back the whole transaction undoes exactly it.
    const isolate = group.length > 1;
    let durableUpTo = 0;
    try {
      s.begin.run();
      // Inside the write lock: everything up to here was committed before this group.
      if (this.background) durableUpTo = s.headPosition.get()?.position ?? 0;
      for (const pending of group) {
        if (isolate) s.savepoint.run();
        try {
          const result = this.appendInTransaction(pending);
          if (isolate) s.release.run();
          outcomes.push({ ok: true, result });
        } catch (error) {
          if (!isolate) throw error;
          s.rollbackToSavepoint.run();
          s.release.run();
          outcomes.push({ ok: false, error });
        }
      }
      s.commit.run();
    } catch (error) {
      // A lone append failed, BEGIN gave up waiting for another process's lock, or COMMIT failed: nothing of
      // the group is stored, and every append of it learns why.
      if (this.db.inTransaction) s.rollback.run();
      for (const pending of group) pending.reject(error);
      return;
    }
    if (!this.background) {
      this.settle(group, outcomes);
      return;
    }
    this.background.afterCommit(durableUpTo, (error) => {
      if (error) for (const pending of group) pending.reject(error);
      else this.settle(group, outcomes);
    });
  }

  private settle(group: readonly PendingAppend[], outcomes: readonly Outcome[]): void {
    let appended = false;
    group.forEach((pending, i) => {
      const outcome = outcomes[i] as Outcome;
      if (outcome.ok) {
        appended = true;
        pending.resolve(outcome.result);
      } else pending.reject(outcome.error);
    });
    if (appended) this.wakeSubscriptions();
  }

  private appendInTransaction({ streamId, expected, events }: PendingAppend): AppendResult {
    const s = this.statements;
    const head = s.streamHead.get(streamId);
    const actual = head?.revision ?? -1;
    const first = events[0];
    if (first?.idGiven) {
      const retried = this.originalAppendIfRetry(streamId, expected, events);
      if (retried) return retried;
    }
    if (!revisionMatches(expected, actual)) throw new WrongExpectedRevisionError(streamId, expected, actual);
    let revision = actual;
    let position = head?.position ?? 0;
    const createdAt = Date.now();
    for (const event of events) {
      revision += 1;
      try {
        const info = s.insert.run(
          event.id,
          streamId,
          revision,
          event.type,
          event.data,
          event.metadata,
          createdAt,
        );
        position = Number(info.lastInsertRowid);
      } catch (error) {
        if (isUniqueViolation(error, 'events.id')) throw new DuplicateEventIdError(streamId, event.id);
        // Unreachable while the write lock is held from the head read to here; kept as the last line of
        // defence so that a conflict can never surface as anything but the typed error.
        if (isUniqueViolation(error, 'events.stream_id, events.revision')) {
          throw new WrongExpectedRevisionError(
            streamId,
            expected,
            s.streamHead.get(streamId)?.revision ?? -1,
          );
        }
        throw error;
      }
    }
    return { nextExpectedRevision: revision, position };
  }

  /** The stored result when `events` repeat, id for id, an append that succeeded with this expected revision. */
  private originalAppendIfRetry(
    streamId: string,
    expected: ExpectedRevision,
    events: SerializedEvent[],
  ): AppendResult | undefined {
    const s = this.statements;
    const stored = s.eventById.get((events[0] as SerializedEvent).id);
    if (!stored || stored.stream_id !== streamId) return undefined;
    const original = s.streamIdsFrom.all(streamId, stored.revision, events.length);
    if (original.length !== events.length || original.some((row, i) => row.id !== events[i]?.id))
      return undefined;
    if (!revisionMatches(expected, stored.revision - 1)) return undefined;
    return {
      nextExpectedRevision: stored.revision + events.length - 1,
      position: (original[original.length - 1] as { position: number }).position,
    };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const rows =
      options.maxCount === undefined
        ? this.statements.readStream.all(streamId, options.fromRevision ?? 0)
        : this.statements.readStreamUpTo.all(streamId, options.fromRevision ?? 0, options.maxCount);
    return rows.map(toRecordedEvent);
  }

  async readStreams(streamIds: readonly string[]): Promise<RecordedEvent[][]> {
    this.assertOpen();
    if (streamIds.length === 0) return [];
    const read = new Map<string, RecordedEvent[]>(streamIds.map((streamId) => [streamId, []]));
    const distinct = [...read.keys()];
    for (let from = 0; from < distinct.length; from += MAX_STREAMS_PER_READ) {
      const some = distinct.slice(from, from + MAX_STREAMS_PER_READ);
      for (const row of this.readStreamsStatement(some.length).all(...some)) {
        const event = toRecordedEvent(row);
        read.get(event.streamId)?.push(event);
      }
    }
    return streamIds.map((streamId) => read.get(streamId) as RecordedEvent[]);
  }

  /**
   * The statement reading `count` distinct streams, prepared once per count (a like reads two or four): one
   * index search per stream, merged in (stream, revision) order. Measured a third cheaper than one search with
   * `stream_id IN (...)`: 3.5 against 4.6 us for two empty streams, the common case of a like's block check.
   */
  private readStreamsStatement(count: number): Database.Statement<string[], EventRow> {
    let statement = this.readStreamsStatements.get(count);
    if (!statement) {
      const one = `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ?`;
      statement = this.db
        .prepare<string[], EventRow>(
          `${Array(count).fill(one).join(' UNION ALL ')} ORDER BY stream_id, revision`,
        )
        .raw(true);
      this.readStreamsStatements.set(count, statement);
    }
    return statement;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    return this.readAllSync(options.after ?? 0, options.maxCount ?? -1);
  }

  async readByActor(actorId: string, options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    return this.statements.readByActor
      .all(options.after ?? 0, actorId, actorId, options.maxCount ?? -1)
      .map(toRecordedEvent);
  }

  async readByType(types: readonly string[], options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    return this.statements.readByType
      .all(options.after ?? 0, JSON.stringify(types), options.maxCount ?? -1)
      .map(toRecordedEvent);
  }

  async readAllForReplay(options: ReadAllOptions = {}): Promise<ReplayedEvent[]> {
    this.assertOpen();
    return this.statements.readAllForReplay
      .all(options.after ?? 0, options.maxCount ?? -1)
      .map(toReplayedEvent);
  }

  /** @internal readAll's read; `maxCount` -1 means no limit (SQLite's LIMIT -1) */
  readAllSync(after: number, maxCount: number): RecordedEvent[] {
    const rows = this.background
      ? this.statements.readAllUpTo.all(after, this.background.durableUpTo(), maxCount)
      : this.statements.readAll.all(after, maxCount);
    return rows.map(toRecordedEvent);
  }

  /** @internal a subscription's next page: up to subscriptionPageSize events after `after` */
  readSubscriptionPageSync(after: number): RecordedEvent[] {
    const upTo = this.background?.durableUpTo() ?? Number.MAX_SAFE_INTEGER;
    return this.subscriptionPage.all(after, upTo).map(toRecordedEvent);
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    return this.statements.headPosition.get()?.position ?? 0;
  }

  subscribeToAll(options: SubscribeOptions = {}): Subscription {
    this.assertOpen();
    const subscription = new SqliteSubscription(this, options.after ?? 0, () =>
      this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  /**
   * Resolves at the next append through this instance, after `pollIntervalMs` (appends by other processes or
   * other instances have no in-process signal), or when `cancel` is called, whichever comes first.
   * @internal
   */
  waitForAppend(): { promise: Promise<void>; cancel: () => void } {
    let wake = (): void => {};
    const promise = new Promise<void>((resolvePromise) => {
      const timer = setTimeout(() => wake(), this.pollIntervalMs);
      wake = () => {
        clearTimeout(timer);
        this.appendWaiters.delete(wake);
        resolvePromise();
      };
      this.appendWaiters.add(wake);
    });
    return { promise, cancel: wake };
  }

  private wakeSubscriptions(): void {
    for (const wake of [...this.appendWaiters]) wake();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('event store is closed');
  }

  /** Commits appends already accepted, ends every subscription, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.flush();
    await this.background?.close();
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    this.db.close();
  }
}

/**
 * The fsyncs of syncInBackground: each committed group waits for an fsync of the write-ahead log that began after
 * its COMMIT, run in libuv's thread pool. One fsync at a time, and the groups committed while one runs share the
 * next: a group commit, as SQLite's FULL makes one per transaction.
 *
 * An fsync of any descriptor of the log's file flushes what every descriptor wrote to it (Linux syncs the file,
 * not the descriptor), so the log is opened here apart from SQLite's own descriptor, once it exists; it is never
 * replaced while the database is open (SQLite reuses it after a checkpoint, and deletes it only when the last
 * connection closes).
 *
 * A failed fsync leaves unknown what of the log reached the disk (and Linux may have dropped the pages it could
 * not write, so a retry could succeed on a log that lost them): the appends waiting for it are rejected, and so
 * is every later one, until the process starts again and SQLite recovers the log from the disk.
 */
class BackgroundSync {
  /** the error of the fsync that failed, if one did: every append is refused from then on */
  failed: Error | undefined;
  /** where the groups whose fsync failed began: nothing after it is known durable */
  private failedAfter = Number.MAX_SAFE_INTEGER;
  private fd: number | undefined;
  private running: Promise<void> | undefined;
  /** the groups committed and waiting for an fsync begun after their COMMIT, oldest first */
  private waiting: { durableUpTo: number; done: (error?: Error) => void }[] = [];
  /** the groups whose fsync runs, oldest first */
  private syncing: { durableUpTo: number; done: (error?: Error) => void }[] = [];

  constructor(
    private readonly path: string,
    private readonly sync: NonNullable<SqliteEventStoreOptions['fdatasync']>,
  ) {}

  /**
   * Calls `done` once the COMMIT just made is durable (with the error of its fsync if that failed).
   * `durableUpTo`: the last position committed before it, the end of what the log hands out until then.
   */
  afterCommit(durableUpTo: number, done: (error?: Error) => void): void {
    this.waiting.push({ durableUpTo, done });
    if (!this.running) this.running = this.syncWaiting();
  }

  /** The last position that is durable: below the oldest group still waiting for its fsync, if any. */
  durableUpTo(): number {
    return Math.min(
      (this.syncing[0] ?? this.waiting[0])?.durableUpTo ?? Number.MAX_SAFE_INTEGER,
      this.failedAfter,
    );
  }

  private async syncWaiting(): Promise<void> {
    while (this.waiting.length > 0) {
      this.syncing = this.waiting;
      this.waiting = [];
      const error = this.failed ?? (await this.syncOnce());
      if (error && !this.failed) {
        this.failed = error;
        this.failedAfter = (this.syncing[0] as { durableUpTo: number }).durableUpTo;
      }
      const synced = this.syncing;
      this.syncing = [];
      for (const group of synced) group.done(error);
    }
    this.running = undefined;
  }

  private syncOnce(): Promise<Error | undefined> {
    return new Promise((resolvePromise) => {
      try {
        this.fd ??= openSync(this.path, 'r');
      } catch (error) {
        resolvePromise(error as Error);
        return;
      }
      this.sync(this.fd, (error) => resolvePromise(error ?? undefined));
    });
  }

  /** Waits for the fsyncs under way, then lets the log go. */
  async close(): Promise<void> {
    await this.running;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * A pulled subscription over the `events` table: it reads a page of rows after the last delivered position,
 * hands them out one per `next()`, and when a read comes back empty waits for an append before reading again.
 *
 * Exactly once, in order, across catch-up and live: there is only one way to get events, "rows with
 * position > last delivered, by position", so the switch from catching up to waiting for new events is just an
 * empty page and nothing can be read twice or skipped at the seam.
 *
 * Why no event can appear later *behind* a position already delivered (the classic gap problem of sequence-based
 * logs, e.g. PostgreSQL sequences where transaction 1 takes id 5, transaction 2 takes id 6 and commits first):
 * SQLite has one write lock per database, held by `BEGIN IMMEDIATE` from before the position is chosen until
 * COMMIT. AUTOINCREMENT picks max(position)+1 inside that lock, so the transaction that takes a higher position
 * starts only after every transaction with a lower position has committed or rolled back. Positions therefore
 * become visible in increasing order, and a reader that has seen position N will never later find a new row
 * below N. A rolled-back transaction burns no positions (AUTOINCREMENT's counter lives in `sqlite_sequence`,
 * which rolls back with it): the next transaction takes the same numbers, still above everything visible.
 * AUTOINCREMENT rather than a plain rowid: a plain rowid is also max+1, but would hand out again the position of
 * a newest row that was deleted (say, by a manual repair), and a consumer's checkpoint would then silently skip
 * the event that reused it. AUTOINCREMENT never reuses a position.
 */
class SqliteSubscription implements Subscription {
  private closed = false;
  private cancelWait: (() => void) | undefined;
  private readonly iterator: AsyncGenerator<RecordedEvent, void, undefined>;

  constructor(
    private readonly store: SqliteEventStore,
    private after: number,
    private readonly onClose: () => void,
  ) {
    this.iterator = this.events();
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    return this.iterator;
  }

  private async *events(): AsyncGenerator<RecordedEvent, void, undefined> {
    try {
      while (!this.closed && !this.store.isClosed) {
        const page = this.store.readSubscriptionPageSync(this.after);
        if (page.length === 0) {
          // The empty read and the registration of the waiter run in the same synchronous turn, and an
          // in-process append commits in a turn of its own, so its wake-up cannot fall between the two.
          const wait = this.store.waitForAppend();
          this.cancelWait = wait.cancel;
          await wait.promise;
          this.cancelWait = undefined;
          continue;
        }
        for (const event of page) {
          if (this.closed) return;
          this.after = event.position;
          yield event;
        }
        // Reads are synchronous and a consumer's handler may be too: without this, catching up on a long log
        // would run as one chain of microtasks and starve timers, I/O and appends until it ends.
        await setImmediatePromise();
      }
    } finally {
      this.closed = true;
      this.onClose();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelWait?.();
    this.onClose();
  }
}

export function openSqliteEventStore(options: SqliteEventStoreOptions): SqliteEventStore {
  return new SqliteEventStore(options);
}
