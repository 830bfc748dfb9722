// The benchmark's writer: appends events to the SQLite event store at a steady rate, as command services would,
// from a process of its own. Env: EVENTS_PATH, RATE (events/s), SECONDS. Prints, as its only line, when each
// event's append was acknowledged (durable): `{ "acknowledged": { "<event id>": <epoch ms, fractional> } }`.
import { randomUUID } from 'node:crypto';
import { openSqliteEventStore } from '@gram/event-store';
import { streamIds, toStoredEvent } from '@gram/events';

const store = openSqliteEventStore({ path: process.env.EVENTS_PATH as string });
const rate = Number(process.env.RATE ?? 1_000);
const total = rate * Number(process.env.SECONDS ?? 15);
const postId = randomUUID();
const authorId = randomUUID();
const now = () => performance.timeOrigin + performance.now();
const acknowledged: Record<string, number> = {};
const pending: Promise<void>[] = [];
const started = performance.now();
let appended = 0;
while (appended < total) {
  const due = Math.min(total, Math.floor(((performance.now() - started) / 1_000) * rate));
  for (; appended < due; appended++) {
    const userId = randomUUID();
    const id = randomUUID();
    const event = toStoredEvent({
      type: 'PostLiked',
      data: { postId, userId, postAuthorId: authorId, likedAt: new Date().toISOString() },
    });
    const append = store.appendToStream(streamIds.like(postId, userId), [{ ...event, id }], {
      expectedRevision: 'no_stream',
    });
    pending.push(
      append.then(() => {
        acknowledged[id] = now();
      }),
    );
  }
  await new Promise((resolve) => setTimeout(resolve, 1));
}
await Promise.all(pending);
await store.close();
console.log(JSON.stringify({ acknowledged }));
