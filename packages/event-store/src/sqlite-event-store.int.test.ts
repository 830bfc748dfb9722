import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, fdatasync, mkdirSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import {
  collectUntil,
  describeEventStoreContract,
  expectStrictlyIncreasing,
  newEvent,
  rejectionOf,
  uniqueStreamId,
  withTimeout,
} from './event-store.contract.js';
import { WrongExpectedRevisionError } from './event-store.js';
import { DuplicateEventIdError, openSqliteEventStore } from './sqlite-event-store.js';

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const workerScript = join(packageDir, 'test', 'append-worker.ts');
const tempRoot = mkdtempSync(join(tmpdir(), 'gram-event-store-'));
const freshPath = () => join(tempRoot, randomUUID(), 'events.sqlite');

console.info(`event store tests use SQLite files under ${tempRoot}`);

afterAll(() => {
  rmSync(tempRoot, { recursive: true, force: true });
});

describeEventStoreContract('SQLite (file)', () => openSqliteEventStore({ path: freshPath() }));
describeEventStoreContract('SQLite (file, commits made durable in the background)', () =>
  openSqliteEventStore({ path: freshPath(), syncInBackground: true }),
);

interface Worker {
  ready: Promise<void>;
  start: () => void;
  /** ids of the events whose append the worker saw acknowledged */
  acknowledged: Promise<string[]>;
}

/** Starts `test/append-worker.ts` in its own Node process; see that file for the modes. */
function spawnWorker(
  path: string,
  name: string,
  events: number,
  mode: 'contend' | 'own' | 'crash' | 'crash-background' | 'open',
): Worker {
  const child: ChildProcessByStdio<Writable, Readable, Readable> = spawn(
    process.execPath,
    ['--import', 'tsx', workerScript, path, name, String(events), mode],
    { cwd: packageDir, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  let signalReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    signalReady = resolve;
  });
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.startsWith('ready\n')) signalReady();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const acknowledged = new Promise<string[]>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const lines = stdout.trim().split('\n');
      const last = lines.at(-1) ?? '';
      const expectedEnd = mode.startsWith('crash') ? signal === 'SIGKILL' : code === 0;
      if (!expectedEnd || !last.startsWith('{')) {
        reject(new Error(`worker ${name} ended with code ${code}, signal ${signal}: ${stderr}`));
        return;
      }
      resolve((JSON.parse(last) as { ids: string[] }).ids);
    });
  });
  return { ready, start: () => child.stdin.end('go\n'), acknowledged };
}

describe('SQLite event store, beyond the contract', () => {
  it('creates the directory of its file and works in memory', async () => {
    const path = join(tempRoot, randomUUID(), 'nested', 'events.sqlite');
    const store = openSqliteEventStore({ path });
    expect(existsSync(path)).toBe(true);
    await store.close();

    const memory = openSqliteEventStore({ path: ':memory:' });
    const streamId = uniqueStreamId('post');
    await memory.appendToStream(streamId, [newEvent(0)], { expectedRevision: 'no_stream' });
    expect(await memory.readStream(streamId)).toHaveLength(1);
    await memory.close();
  });

  it('acknowledged appends survive closing and reopening the file', async () => {
    const path = freshPath();
    const store = openSqliteEventStore({ path });
    const streamId = uniqueStreamId('account');
    const events = [newEvent(0), newEvent(1), newEvent(2)];
    await store.appendToStream(streamId, events.slice(0, 2), { expectedRevision: 'no_stream' });
    await store.appendToStream(streamId, events.slice(2), { expectedRevision: 1 });
    await store.close();

    const reopened = openSqliteEventStore({ path });
    expect((await reopened.readStream(streamId)).map((event) => event.id)).toEqual(
      events.map((event) => event.id),
    );
    const next = await reopened.appendToStream(streamId, [newEvent(3)], { expectedRevision: 2 });
    expect(next.nextExpectedRevision).toBe(3);
    await reopened.close();
  });

  it.each([
    { mode: 'crash', durable: 'at each COMMIT' },
    { mode: 'crash-background', durable: 'in the background' },
  ] as const)(
    'acknowledged appends survive the writing process being killed without closing the store (log made durable $durable)',
    async ({ mode }) => {
      const path = freshPath();
      const worker = spawnWorker(path, 'crashing', 300, mode);
      await worker.ready;
      worker.start();
      const acknowledged = await worker.acknowledged;
      expect(acknowledged).toHaveLength(300);

      const store = openSqliteEventStore({ path });
      expect((await store.readStream('own-crashing')).map((event) => event.id)).toEqual(acknowledged);
      await store.close();
    },
  );

  it('a process opening a fresh file waits while another process holds it locked in the middle of switching it to WAL', async () => {
    // The lock another process's switch to WAL holds on a fresh file: SQLite refuses the next switch with
    // SQLITE_BUSY at once, without its busy handler, so a service started alongside others died at start.
    const path = freshPath();
    mkdirSync(dirname(path), { recursive: true });
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    const worker = spawnWorker(path, 'late', 5, 'open');
    await worker.ready;
    worker.start();
    await new Promise((resolve) => setTimeout(resolve, 500));
    other.exec('COMMIT');
    other.close();
    expect(await worker.acknowledged).toHaveLength(5);
  });

  it('processes started together can all open, and create, the same fresh file', async () => {
    const path = freshPath();
    const workers = Array.from({ length: 6 }, (_, i) => spawnWorker(path, `w${i}`, 5, 'open'));
    await Promise.all(workers.map((worker) => worker.ready));
    for (const worker of workers) worker.start();
    const acknowledged = (await Promise.all(workers.map((worker) => worker.acknowledged))).flat();
    expect(acknowledged).toHaveLength(30);
    const store = openSqliteEventStore({ path });
    expect(await store.readAll()).toHaveLength(30);
    await store.close();
  });

  it('two processes appending to one file concurrently lose nothing and keep revisions unique', async () => {
    const path = freshPath();
    // Create the file first so that both workers race on appends, not on creating the schema.
    await openSqliteEventStore({ path }).close();
    const workers = ['a', 'b'].map((name) => spawnWorker(path, name, 1_000, 'contend'));
    await Promise.all(workers.map((worker) => worker.ready));
    for (const worker of workers) worker.start();
    const acknowledged = (await Promise.all(workers.map((worker) => worker.acknowledged))).flat();
    expect(acknowledged).toHaveLength(2_000);

    const store = openSqliteEventStore({ path });
    const log = await store.readAll();
    expect(log).toHaveLength(2_000);
    expect(new Set(log.map((event) => event.id))).toEqual(new Set(acknowledged));
    expectStrictlyIncreasing(log.map((event) => event.position));
    const streams = new Map<string, number[]>();
    for (const event of log)
      streams.set(event.streamId, [...(streams.get(event.streamId) ?? []), event.revision]);
    expect([...streams.keys()].sort()).toEqual(['own-a', 'own-b', 'shared-0', 'shared-1', 'shared-2']);
    for (const revisions of streams.values()) {
      expect(revisions).toEqual(revisions.map((_, i) => i));
    }
    // The processes really interleaved, append by append, rather than taking turns in two long runs: so their
    // expected-revision checks on the shared streams raced each other.
    const writerOf = (event: (typeof log)[number]) => (event.data as { worker: string }).worker;
    const handovers = log.filter(
      (event, i) => i > 0 && writerOf(event) !== writerOf(log[i - 1] as typeof event),
    );
    expect(handovers.length).toBeGreaterThan(10);
    await store.close();
  });

  it('a subscriber in one process sees the appends of another process, in order', async () => {
    const path = freshPath();
    const store = openSqliteEventStore({ path, pollIntervalMs: 50 });
    const worker = spawnWorker(path, 'remote', 500, 'own');
    await worker.ready;
    const received = collectUntil(
      store.subscribeToAll({ after: await store.headPosition() }),
      () => true,
      (event) => event.revision === 499,
      30_000,
    );
    worker.start();
    const acknowledged = await worker.acknowledged;
    const seen = await received;
    expect(seen.map((event) => event.id)).toEqual(acknowledged);
    expectStrictlyIncreasing(seen.map((event) => event.position));
    await store.close();
  });

  it('an append through the store wakes its caught-up subscriptions without waiting for the poll', async () => {
    const store = openSqliteEventStore({ path: freshPath(), pollIntervalMs: 60_000 });
    const streamId = uniqueStreamId('post');
    const received = collectUntil(
      store.subscribeToAll(),
      () => true,
      () => true,
      10_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    await store.appendToStream(streamId, [newEvent(0)], { expectedRevision: 'no_stream' });
    expect(await withTimeout(received, 1_000, 'the in-process wake-up')).toHaveLength(1);
    await store.close();
  });

  it('a subscription reads the log page by page of its page size, missing and repeating nothing', async () => {
    const store = openSqliteEventStore({ path: freshPath(), subscriptionPageSize: 2 });
    const streamId = uniqueStreamId('post');
    const appended = await store.appendToStream(
      streamId,
      [0, 1, 2, 3, 4].map((n) => newEvent(n)),
      {
        expectedRevision: 'no_stream',
      },
    );
    const received = await collectUntil(
      store.subscribeToAll(),
      () => true,
      (event) => event.position === appended.position,
      10_000,
    );
    expect(received.map((event) => event.revision)).toEqual([0, 1, 2, 3, 4]);
    expect(() => openSqliteEventStore({ path: freshPath(), subscriptionPageSize: 0 })).toThrow(RangeError);
    await store.close();
  });

  it('a failing append does not disturb the other appends committed in the same transaction', async () => {
    const store = openSqliteEventStore({ path: freshPath() });
    const existing = uniqueStreamId('post');
    await store.appendToStream(existing, [newEvent(0)], { expectedRevision: 'no_stream' });
    const healthy = uniqueStreamId('post');
    const broken = uniqueStreamId('post');
    const repeated = newEvent(1);
    // Issued in one turn of the event loop, these three share one transaction.
    const [ok, stale, duplicate] = await Promise.allSettled([
      store.appendToStream(healthy, [newEvent(0), newEvent(1)], { expectedRevision: 'no_stream' }),
      store.appendToStream(existing, [newEvent(1)], { expectedRevision: 'no_stream' }),
      // The second insert fails on the id after the first succeeded: the savepoint must undo the first.
      store.appendToStream(broken, [repeated, repeated], { expectedRevision: 'no_stream' }),
    ]);
    expect(ok?.status).toBe('fulfilled');
    expect(stale?.status === 'rejected' && stale.reason).toBeInstanceOf(WrongExpectedRevisionError);
    expect(duplicate?.status === 'rejected' && duplicate.reason).toBeInstanceOf(DuplicateEventIdError);
    expect(await store.readStream(healthy)).toHaveLength(2);
    expect(await store.readStream(existing)).toHaveLength(1);
    expect(await store.readStream(broken)).toEqual([]);
    await store.close();
  });

  it('reusing a stored event id in an append that is not its retry is rejected', async () => {
    const store = openSqliteEventStore({ path: freshPath() });
    const event = newEvent(0);
    const first = uniqueStreamId('post');
    await store.appendToStream(first, [event], { expectedRevision: 'no_stream' });

    const elsewhere = await rejectionOf(
      store.appendToStream(uniqueStreamId('post'), [event], { expectedRevision: 'no_stream' }),
    );
    expect(elsewhere).toBeInstanceOf(DuplicateEventIdError);
    expect(elsewhere).toMatchObject({ eventId: event.id });
    // Same stream, but appended after other events: not a retry of the original append.
    const later = await rejectionOf(store.appendToStream(first, [event], { expectedRevision: 0 }));
    expect(later).toBeInstanceOf(DuplicateEventIdError);
    // A retry whose expected revision no longer holds is a plain conflict.
    const conflicting = await rejectionOf(
      store.appendToStream(first, [event, newEvent(1)], { expectedRevision: 5 }),
    );
    expect(conflicting).toBeInstanceOf(WrongExpectedRevisionError);
    await store.close();
  });

  it('refuses event ids that are not UUIDs, as EventStoreDB does', async () => {
    const store = openSqliteEventStore({ path: ':memory:' });
    const error = await rejectionOf(
      store.appendToStream('post-1', [{ id: 'not-a-uuid', type: 'PostCreated', data: {} }], {
        expectedRevision: 'any',
      }),
    );
    expect(error).toBeInstanceOf(TypeError);
    await store.close();
  });

  describe('with its commits made durable in the background', () => {
    /** An fdatasync that runs only when the test lets it: `release` runs the oldest one held. */
    function heldSync() {
      const held: { fd: number; done: (error: NodeJS.ErrnoException | null) => void }[] = [];
      return {
        held,
        fdatasync: (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => {
          held.push({ fd, done });
        },
        release(error: NodeJS.ErrnoException | null = null) {
          const next = held.shift();
          if (!next) throw new Error('no fsync is held');
          fdatasync(next.fd, (syncError) => next.done(error ?? syncError));
        },
      };
    }
    /** A store on a fresh file, made durable in the background by a held fdatasync. */
    function heldStore() {
      const path = freshPath();
      const sync = heldSync();
      return {
        path,
        sync,
        store: openSqliteEventStore({ path, syncInBackground: true, fdatasync: sync.fdatasync }),
      };
    }
    const turns = async (count: number) => {
      for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
    };

    it('acknowledges an append, and hands its events to subscriptions and readAll, only after the fsync of the log that followed its COMMIT', async () => {
      const { path, sync, store } = heldStore();
      const streamId = uniqueStreamId('post');
      const seen: string[] = [];
      const subscription = store.subscribeToAll();
      void (async () => {
        for await (const event of subscription) seen.push(event.id);
      })();
      let acknowledged = false;
      const event = newEvent(0);
      const append = store
        .appendToStream(streamId, [event], { expectedRevision: 'no_stream' })
        .then((result) => {
          acknowledged = true;
          return result;
        });
      await turns(5);
      expect(sync.held).toHaveLength(1);
      expect(readlinkSync(`/proc/self/fd/${sync.held[0]?.fd}`)).toBe(`${path}-wal`);
      // Committed (a command deciding on the stream reads it), not yet acknowledged nor handed out as the log.
      expect(await store.readStream(streamId)).toHaveLength(1);
      expect(acknowledged).toBe(false);
      expect(await store.readAll()).toEqual([]);
      expect(seen).toEqual([]);

      sync.release();
      expect((await append).nextExpectedRevision).toBe(0);
      expect((await store.readAll()).map((read) => read.id)).toEqual([event.id]);
      await withTimeout(
        (async () => {
          while (seen.length === 0) await turns(1);
        })(),
        5_000,
        'the subscription',
      );
      expect(seen).toEqual([event.id]);
      await subscription.close();
      await store.close();
    });

    it('makes the groups committed while an fsync runs durable together with the next one', async () => {
      const { sync, store } = heldStore();
      const first = store.appendToStream(uniqueStreamId('post'), [newEvent(0)], { expectedRevision: 'any' });
      await turns(3);
      const later = [1, 2, 3].map(async (i) => {
        await new Promise((resolve) => setTimeout(resolve, i));
        return store.appendToStream(uniqueStreamId('post'), [newEvent(i)], { expectedRevision: 'any' });
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(sync.held).toHaveLength(1);
      sync.release();
      await first;
      await turns(3);
      expect(sync.held).toHaveLength(1);
      sync.release();
      expect(await Promise.all(later)).toHaveLength(3);
      await store.close();
    });

    it('rejects the appends waiting for an fsync that failed and every later one, and hands nothing after it out as the log', async () => {
      const { sync, store } = heldStore();
      const streamId = uniqueStreamId('post');
      const durable = store.appendToStream(streamId, [newEvent(0)], { expectedRevision: 'no_stream' });
      await turns(3);
      sync.release();
      await durable;
      const failing = store.appendToStream(streamId, [newEvent(1)], { expectedRevision: 0 });
      await turns(3);
      const ioError = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
      sync.release(ioError);
      expect(await rejectionOf(failing)).toBe(ioError);
      expect(await rejectionOf(store.appendToStream(streamId, [newEvent(2)], { expectedRevision: 1 }))).toBe(
        ioError,
      );
      expect(await store.readAll()).toHaveLength(1);
      await store.close();
    });
  });
});
