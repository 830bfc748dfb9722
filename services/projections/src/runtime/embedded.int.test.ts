import { openSqliteEventStore } from '@gram/event-store';
import { describe, expect, it } from 'vitest';
import { HistoryBuilder } from '../../test/history.js';
import { startEmbeddedProjections } from './workers.js';

async function appendAll(store: ReturnType<typeof openSqliteEventStore>, h: HistoryBuilder, from = 0) {
  for (const e of h.events.slice(from)) {
    await store.appendToStream(e.streamId, [{ id: e.id, type: e.type, data: e.data, metadata: e.metadata }], {
      expectedRevision: 'any',
    });
  }
}

describe('embedded projections (SQLite event store, in-process bus, memory read models)', () => {
  it('rebuild the read models from the log at start, then follow new appends', async () => {
    const events = openSqliteEventStore({ path: ':memory:' });
    const h = new HistoryBuilder();
    const ann = h.register('ann');
    const bob = h.register('bob');
    h.follow(bob, ann);
    await appendAll(events, h);
    const projections = await startEmbeddedProjections(events);
    try {
      expect((await projections.store.documents.get('users', ann))?.followersCount).toBe(1);
      const before = h.events.length;
      const post = h.post(ann);
      await appendAll(events, h, before);
      const deadline = Date.now() + 5_000;
      while (!(await projections.store.feeds.page(bob, undefined, 10)).some((e) => e.id === post)) {
        if (Date.now() > deadline) throw new Error('the new post never reached the follower feed');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      await projections.stop();
      await events.close();
    }
  });
});
