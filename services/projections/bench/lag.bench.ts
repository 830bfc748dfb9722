import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteEventStore } from '@gram/event-store';
import { ReadModelQueries } from '../src/queries/read-model-queries.js';
import { startEmbeddedProjections } from '../src/runtime/workers.js';
import { HistoryBuilder, seededRandom } from '../test/history.js';
import { percentile, report } from './report.js';

// pnpm --filter @gram/projections bench lag [--save-baseline] — the embedded mode under a steady load: events
// appended to a durable SQLite event store (a temp file) at BENCH_RATE events/s (1,000) for BENCH_SECONDS (10),
// half new posts, half likes of recent posts; each is timed from the call to append until the query API shows
// it (the post answers; the post answers likedByMe for the liker), polled every millisecond.
const rate = Number(process.env.BENCH_RATE ?? 1_000);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const random = seededRandom(7);

const dir = mkdtempSync(join(tmpdir(), 'projections-lag-'));
const events = openSqliteEventStore({ path: join(dir, 'events.db') });
const h = new HistoryBuilder();
const users = Array.from({ length: 200 }, (_, i) => h.register(`user_${i}`));
const posts = users.slice(0, 50).map((author) => ({ postId: h.post(author), authorId: author }));
let appended = 0;
async function appendNew(): Promise<void> {
  const fresh = h.events.slice(appended);
  appended = h.events.length;
  for (const e of fresh) {
    await events.appendToStream(
      e.streamId,
      [{ id: e.id, type: e.type, data: e.data, metadata: e.metadata }],
      {
        expectedRevision: 'any',
      },
    );
  }
}
await appendNew();
const projections = await startEmbeddedProjections(events);
const queries = new ReadModelQueries(() => projections.store);

interface Pending {
  startedAt: number;
  visible: () => Promise<boolean>;
}
const pending = new Set<Pending>();
const lags: number[] = [];
const liked = new Set<string>();
const visible = (check: () => Promise<boolean>) => async () => check().catch(() => false);

function nextChange(): Pending {
  const startedAt = performance.now();
  if (random() < 0.5) {
    const authorId = users[Math.floor(random() * users.length)] as string;
    const postId = h.post(authorId);
    posts.push({ postId, authorId });
    return { startedAt, visible: visible(async () => (await queries.post(postId)).id === postId) };
  }
  for (;;) {
    const post = posts[
      posts.length - 1 - Math.floor(random() * Math.min(posts.length, 200))
    ] as (typeof posts)[0];
    const userId = users[Math.floor(random() * users.length)] as string;
    if (liked.has(`${post.postId}_${userId}`)) continue;
    liked.add(`${post.postId}_${userId}`);
    h.like(post.postId, post.authorId, userId);
    return {
      startedAt,
      visible: visible(async () => (await queries.post(post.postId, userId)).likedByMe === true),
    };
  }
}

let checking = true;
const checker = (async () => {
  while (checking || pending.size > 0) {
    for (const change of [...pending]) {
      if (await change.visible()) {
        lags.push(performance.now() - change.startedAt);
        pending.delete(change);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
})();

const total = rate * seconds;
const started = performance.now();
const appends: Promise<void>[] = [];
for (let sent = 0; sent < total; ) {
  const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
  for (; sent < due; sent++) {
    const change = nextChange();
    const fresh = h.events.slice(appended);
    appended = h.events.length;
    appends.push(
      (async () => {
        for (const e of fresh) {
          await events.appendToStream(
            e.streamId,
            [{ id: e.id, type: e.type, data: e.data, metadata: e.metadata }],
            { expectedRevision: 'any' },
          );
        }
        pending.add(change);
      })(),
    );
  }
  await new Promise((resolve) => setTimeout(resolve, 1));
}
await Promise.all(appends);
const sendSeconds = (performance.now() - started) / 1000;
checking = false;
await checker;
await projections.stop();
await events.close();
rmSync(dir, { recursive: true, force: true });

const ok = report('lag', [
  { metric: 'events appended per second', now: total / sendSeconds, better: 'higher', target: rate * 0.95 },
  { metric: 'append to visible p50, ms', now: percentile(lags, 50), better: 'lower' },
  { metric: 'append to visible p99, ms', now: percentile(lags, 99), better: 'lower', target: 100 },
  { metric: 'append to visible max, ms', now: Math.max(...lags), better: 'lower' },
]);
process.exitCode = ok ? 0 : 1;
