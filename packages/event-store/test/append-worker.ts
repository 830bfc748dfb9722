/**
 * A separate OS process appending to a SQLite event store file, for the multi-process tests.
 *
 *   node --import tsx test/append-worker.ts <db path> <worker name> <events> <mode>
 *
 * It opens the store, prints `ready`, waits for a line on stdin (so that several workers start together),
 * appends, and prints one JSON line `{ "ids": [...] }` with the ids of the events whose append was acknowledged.
 * Modes:
 * - `contend`: four concurrent loops; even events go to the worker's own stream with 'any', odd events to one of
 *   three streams shared by every worker, with a numeric expected revision and a retry on conflict. Each loop
 *   pauses a millisecond between appends: a process that appends flat out re-takes SQLite's write lock within
 *   microseconds of releasing it, while a blocked process sleeps in SQLite's busy handler with growing back-off,
 *   so without pauses the processes take turns in long runs instead of interleaving append by append.
 * - `own`: every event to the worker's own stream, one append at a time.
 * - `crash`: like `own`, then the process kills itself without closing the store.
 * - `crash-background`: like `crash`, the store making its commits durable in the background (syncInBackground).
 * - `open`: like `own`, but the store is opened only after the line on stdin, so that several workers open (and
 *   may create) the same file at the same instant, as services started together do.
 */
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { type ExpectedRevision, WrongExpectedRevisionError } from '../src/event-store.js';
import { openSqliteEventStore } from '../src/sqlite-event-store.js';

const [path, worker, eventsArgument, mode] = process.argv.slice(2);
if (!path || !worker || !eventsArgument || !mode)
  throw new Error('usage: append-worker <path> <worker> <events> <mode>');
const events = Number(eventsArgument);
const open = () =>
  openSqliteEventStore({ path, busyTimeoutMs: 30_000, syncInBackground: mode === 'crash-background' });
const early = mode === 'open' ? undefined : open();

const stdin = createInterface({ input: process.stdin });
const go = new Promise<void>((resolve) => stdin.once('line', () => resolve()));
process.stdout.write('ready\n');
await go;
stdin.close();
const store = early ?? open();

const acknowledged: string[] = [];
const ownStream = `own-${worker}`;

async function appendOwn(i: number): Promise<void> {
  const event = { id: randomUUID(), type: 'WorkerAppended', data: { worker, i } };
  await store.appendToStream(ownStream, [event], { expectedRevision: 'any' });
  acknowledged.push(event.id);
}

const knownRevisions = new Map<string, ExpectedRevision>();

async function appendShared(i: number): Promise<void> {
  const streamId = `shared-${i % 3}`;
  const event = { id: randomUUID(), type: 'WorkerAppended', data: { worker, i } };
  for (;;) {
    try {
      const result = await store.appendToStream(streamId, [event], {
        expectedRevision: knownRevisions.get(streamId) ?? 'no_stream',
      });
      knownRevisions.set(streamId, result.nextExpectedRevision);
      acknowledged.push(event.id);
      return;
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      knownRevisions.set(streamId, error.actual === -1 ? 'no_stream' : error.actual);
    }
  }
}

if (mode === 'contend') {
  const loops = 4;
  await Promise.all(
    Array.from({ length: loops }, async (_, loop) => {
      for (let i = loop; i < events; i += loops) {
        await (i % 2 === 0 ? appendOwn(i) : appendShared(i));
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }),
  );
} else {
  for (let i = 0; i < events; i++) await appendOwn(i);
}

process.stdout.write(`${JSON.stringify({ ids: acknowledged })}\n`);
if (mode === 'crash' || mode === 'crash-background') process.kill(process.pid, 'SIGKILL');
await store.close();
