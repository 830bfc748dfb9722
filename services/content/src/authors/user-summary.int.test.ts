import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventStore, openSqliteEventStore, type ReadStreamOptions } from '@gram/event-store';
import { type DomainEvent, streamIds, toStoredEvent } from '@gram/events';
import { newId } from '@gram/service-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readUserSummary } from './user-summary.js';

let dir: string;
let store: EventStore;
/** the real store, with the revisions its stream reads start from recorded */
let observed: EventStore;
let reads: (number | undefined)[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gram-summary-'));
  store = openSqliteEventStore({ path: join(dir, 'events.sqlite') });
  reads = [];
  observed = Object.assign(Object.create(store) as EventStore, {
    readStream: (streamId: string, options?: ReadStreamOptions) => {
      reads.push(options?.fromRevision);
      return store.readStream(streamId, options);
    },
  });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const at = '2025-01-01T10:00:00.000Z';
async function append(userId: string, event: DomainEvent) {
  await store.appendToStream(streamIds.user(userId), [toStoredEvent(event)], { expectedRevision: 'any' });
}
const registered = (userId: string): DomainEvent => ({
  type: 'UserRegistered',
  data: {
    userId,
    userName: 'ada',
    name: 'Ada',
    bio: '',
    profilePic: 'https://img.example/a.png',
    registeredAt: at,
  },
});

describe('readUserSummary', () => {
  it('sees a profile update appended after an earlier read, reading only the events after it', async () => {
    const userId = newId();
    await append(userId, registered(userId));
    expect((await readUserSummary(observed, userId))?.name).toBe('Ada');
    await append(userId, { type: 'ProfileUpdated', data: { userId, name: 'Ada L.', updatedAt: at } });
    expect(await readUserSummary(observed, userId)).toEqual({
      id: userId,
      userName: 'ada',
      name: 'Ada L.',
      profilePic: 'https://img.example/a.png',
    });
    expect(await readUserSummary(observed, userId)).toMatchObject({ name: 'Ada L.' });
    expect(reads).toEqual([0, 1, 2]);
  });

  it('reads a deleted account whole again instead of answering from what it remembered', async () => {
    const userId = newId();
    await append(userId, registered(userId));
    await readUserSummary(observed, userId);
    await append(userId, { type: 'UserDeleted', data: { userId, deletedAt: at } });
    expect(await readUserSummary(observed, userId)).toMatchObject({ id: userId });
    expect(reads).toEqual([0, 1, undefined]);
    // Nothing of it is kept: the next read folds the whole stream again.
    await readUserSummary(observed, userId);
    await readUserSummary(observed, userId);
    expect(reads.slice(3)).toEqual([0, 0]);
  });

  it('is undefined for an account never registered', async () => {
    expect(await readUserSummary(observed, newId())).toBeUndefined();
  });
});
