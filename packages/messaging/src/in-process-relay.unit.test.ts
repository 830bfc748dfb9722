import { openSqliteEventStore } from '@gram/event-store';
import { toStoredEvent } from '@gram/events';
import { describe, expect, it } from 'vitest';
import { InProcessBus } from './in-process-bus.js';
import { startInProcessRelay } from './in-process-relay.js';
import { silentLogger } from './logger.js';
import type { EventMessage } from './messages.js';

const userId = '01890a5d-ac96-774b-bcce-b302099a8057';
const at = '2026-11-24T10:00:00.000Z';

describe('in-process relay (embedded mode)', () => {
  it('feeds the bus every public event of the log in order, live ones too, and keeps private ones home', async () => {
    // An in-memory SQLite store: the real adapter, no file.
    const store = openSqliteEventStore({ path: ':memory:' });
    const bus = new InProcessBus({ logger: silentLogger });
    const received: EventMessage[] = [];
    await bus.subscribe({
      groupId: 'test',
      topics: ['identity.users', 'social.follows'],
      handler: async (m) => void received.push(m),
    });
    await store.appendToStream(
      `user-${userId}`,
      [
        toStoredEvent({
          type: 'UserRegistered',
          data: {
            userId,
            userName: 'ada',
            name: 'Ada',
            bio: '',
            profilePic: 'https://x.io/a.png',
            registeredAt: at,
          },
        }),
        toStoredEvent({
          type: 'AccountCredentialsSet',
          data: {
            userId,
            email: 'ada@example.com',
            phoneNo: '+15550100',
            passwordHash: 'scrypt$s$h',
            setAt: at,
          },
        }),
      ],
      { expectedRevision: 'no_stream' },
    );
    const observed: { position: number; events: number }[] = [];
    const relay = startInProcessRelay({
      store,
      publisher: bus,
      logger: silentLogger,
      observer: {
        committed: (position, recordedAt) => {
          observed.push({ position, events: recordedAt.length });
          for (const at of recordedAt) expect(at).toBeLessThanOrEqual(Date.now());
        },
      },
    });
    const followee = '01890a5d-ac96-774b-bcce-b302099a8058';
    const follow = await store.appendToStream(
      `follow-${userId}_${followee}`,
      [
        toStoredEvent({
          type: 'UserFollowed',
          data: { followerId: userId, followeeId: followee, followedAt: at },
        }),
      ],
      { expectedRevision: 'no_stream' },
    );
    while (relay.position < follow.position) await new Promise((resolve) => setTimeout(resolve, 5));
    await bus.idle();
    expect(received.map((m) => [m.type, m.streamRevision, m.position])).toEqual([
      ['UserRegistered', 0, 1],
      ['UserFollowed', 0, 3],
    ]);
    expect(JSON.stringify(received)).not.toMatch(/ada@example\.com|15550100|scrypt/);
    // the observer (metrics) hears of every event read, private ones included, up to the last position
    expect(observed.reduce((sum, batch) => sum + batch.events, 0)).toBe(3);
    expect(observed.at(-1)?.position).toBe(3);
    await relay.stop();
    await bus.close();
    await store.close();
  });
});
