import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventStore, openSqliteEventStore } from '@gram/event-store';
import { toStoredEvent } from '@gram/events';
import { afterEach, describe, expect, it } from 'vitest';
import { fileReactionCheckpoint, memoryReactionCheckpoint, startLogReactions } from './log-reactions.js';
import { silentLogger } from './logger.js';
import type { EventMessage } from './messages.js';

const at = '2026-11-24T10:00:00.000Z';
const id = (n: number) => `01890a5d-ac96-774b-bcce-${String(n).padStart(12, '0')}`;

async function mute(store: EventStore, n: number) {
  await store.appendToStream(
    `mute-${id(0)}_${id(n)}`,
    [toStoredEvent({ type: 'UserMuted', data: { muterId: id(0), mutedId: id(n), mutedAt: at } })],
    { expectedRevision: 'any' },
  );
}
async function follow(store: EventStore, n: number) {
  await store.appendToStream(
    `follow-${id(0)}_${id(n)}`,
    [toStoredEvent({ type: 'UserFollowed', data: { followerId: id(0), followeeId: id(n), followedAt: at } })],
    { expectedRevision: 'any' },
  );
}

/** Resolves once `check` holds, polling the reactions' progress (the log is read asynchronously); 10 s at most. */
async function until(check: () => boolean) {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('the reactions never got there');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('reactions run from the log (embedded mode)', () => {
  it('hands each reaction the events of its topics, in the order of the log, one at a time', async () => {
    const store = openSqliteEventStore({ path: ':memory:' });
    const seen: string[] = [];
    let running = 0;
    const reactions = await startLogReactions({
      store,
      checkpoint: memoryReactionCheckpoint(),
      logger: silentLogger,
      reactions: [
        {
          groupId: 'relations',
          topics: ['internal.social.relations'],
          handler: async (m: EventMessage) => {
            running++;
            expect(running).toBe(1);
            await new Promise((resolve) => setTimeout(resolve, 1));
            seen.push(`relations ${m.type} ${(m.data as { mutedId: string }).mutedId}`);
            running--;
          },
        },
        {
          groupId: 'follows',
          topics: ['social.follows'],
          handler: async (m: EventMessage) => void seen.push(`follows ${m.type}`),
        },
      ],
    });
    await mute(store, 1);
    await follow(store, 2);
    await mute(store, 3);
    await until(() => seen.length === 3);
    expect(seen).toEqual([
      `relations UserMuted ${id(1)}`,
      'follows UserFollowed',
      `relations UserMuted ${id(3)}`,
    ]);
    await reactions.stop();
    await store.close();
  });

  it('resumes after its checkpoint on the next start: an event appended while stopped reaches its reaction, one handled before does not come again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gram-reactions-'));
    dirs.push(dir);
    const store = openSqliteEventStore({ path: join(dir, 'events.sqlite') });
    const checkpoint = fileReactionCheckpoint(join(dir, 'reactions.checkpoint'));
    const seen: string[] = [];
    const reaction = {
      groupId: 'relations',
      topics: ['internal.social.relations'],
      handler: async (m: EventMessage) => void seen.push((m.data as { mutedId: string }).mutedId),
    };
    await mute(store, 1);
    // No checkpoint yet: the log's head, as on a new data directory; what came before is not handed over.
    const first = await startLogReactions({ store, checkpoint, reactions: [reaction], logger: silentLogger });
    await mute(store, 2);
    await until(() => seen.length === 1);
    await first.stop();
    await mute(store, 3);
    const second = await startLogReactions({
      store,
      checkpoint,
      reactions: [reaction],
      logger: silentLogger,
    });
    await until(() => seen.length === 2);
    await second.stop();
    expect(seen).toEqual([id(2), id(3)]);
    await store.close();
  });

  it('retries a failing reaction until it succeeds, and hands over no later event meanwhile', async () => {
    const store = openSqliteEventStore({ path: ':memory:' });
    const seen: string[] = [];
    let failures = 2;
    const reactions = await startLogReactions({
      store,
      checkpoint: memoryReactionCheckpoint(),
      logger: silentLogger,
      reactions: [
        {
          groupId: 'relations',
          topics: ['internal.social.relations'],
          handler: async (m: EventMessage) => {
            const muted = (m.data as { mutedId: string }).mutedId;
            if (muted === id(1) && failures-- > 0) throw new Error('the store is away');
            seen.push(muted);
          },
        },
      ],
    });
    await mute(store, 1);
    await mute(store, 2);
    await until(() => seen.length === 2);
    expect(seen).toEqual([id(1), id(2)]);
    await reactions.stop();
    await store.close();
  });
});
