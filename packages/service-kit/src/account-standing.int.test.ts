import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventStore, openSqliteEventStore, type ReadStreamOptions } from '@gram/event-store';
import { streamIds } from '@gram/events';
import { afterAll, describe, expect, it } from 'vitest';
import { readAccountStanding } from './account-standing.js';
import { AccountDirectory } from './accounts.js';
import { newId } from './ids.js';

const dir = mkdtempSync(join(tmpdir(), 'gram-standing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The store, recording the revision each read of a stream started from. */
function recording(store: EventStore): EventStore & { from: number[] } {
  const from: number[] = [];
  return Object.assign(Object.create(store) as EventStore, {
    from,
    readStream(streamId: string, options?: ReadStreamOptions) {
      from.push(options?.fromRevision ?? 0);
      return store.readStream(streamId, options);
    },
  });
}

describe('an account standing, read on the write side', () => {
  it('sees every switch appended since its last read, by any process, reading only the stream after what it folded', async () => {
    const path = join(dir, 'events.sqlite');
    const reader = recording(openSqliteEventStore({ path }));
    const writer = openSqliteEventStore({ path }); // another process on the same log
    const userId = newId();
    const stream = streamIds.user(userId);
    const at = new Date().toISOString();
    expect(await readAccountStanding(reader, userId)).toEqual({ status: 'none', isPrivate: false });
    await writer.appendToStream(
      stream,
      [
        {
          type: 'UserRegistered',
          data: {
            userId,
            userName: 'ada',
            name: 'Ada',
            bio: '',
            profilePic: 'https://img.example/a.png',
            registeredAt: at,
          },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    expect(await readAccountStanding(reader, userId)).toEqual({ status: 'active', isPrivate: false });
    await writer.appendToStream(
      stream,
      [{ type: 'ProfileUpdated', data: { userId, isPrivate: true, updatedAt: at } }],
      {
        expectedRevision: 0,
      },
    );
    expect(await readAccountStanding(reader, userId)).toEqual({ status: 'active', isPrivate: true });
    expect(await readAccountStanding(reader, userId)).toEqual({ status: 'active', isPrivate: true });
    await writer.appendToStream(stream, [{ type: 'UserDeleted', data: { userId, deletedAt: at } }], {
      expectedRevision: 1,
    });
    expect(await readAccountStanding(reader, userId)).toEqual({ status: 'deleted', isPrivate: true });
    // Each read started after the last revision folded: the whole stream was read once.
    expect(reader.from).toEqual([0, 0, 1, 2, 2]);
    await Promise.all([reader.close(), writer.close()]);
  });
});

describe('the account directory', () => {
  it('sees a deletion appended by another process at the next ask, each ask reading only the stream after what it folded', async () => {
    const path = join(dir, 'directory.sqlite');
    const reader = recording(openSqliteEventStore({ path }));
    const writer = openSqliteEventStore({ path }); // another process on the same log
    const accounts = new AccountDirectory(reader);
    const userId = newId();
    const stream = streamIds.user(userId);
    const at = new Date().toISOString();
    expect(await accounts.status(userId)).toBe('none');
    await writer.appendToStream(
      stream,
      [
        {
          type: 'UserRegistered',
          data: { userId, userName: 'ada', name: 'Ada', bio: '', profilePic: '', registeredAt: at },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    expect(await accounts.status(userId)).toBe('active');
    expect(await accounts.status(userId)).toBe('active');
    await writer.appendToStream(stream, [{ type: 'UserDeleted', data: { userId, deletedAt: at } }], {
      expectedRevision: 0,
    });
    expect(await accounts.status(userId)).toBe('deleted');
    // A deletion is final: remembered, not read again.
    expect(await accounts.status(userId)).toBe('deleted');
    expect(reader.from).toEqual([0, 0, 1, 1]);
    await Promise.all([reader.close(), writer.close()]);
  });
});
