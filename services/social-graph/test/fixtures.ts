import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventStore, openSqliteEventStore } from '@gram/event-store';
import { type DomainEvent, fromStoredEvent, streamIds, toStoredEvent } from '@gram/events';
import { newId } from '@gram/service-kit';
import { createTestTokenIssuer } from '@gram/service-kit/testing';
import { buildSocialGraphApp } from '../src/app.js';

/** A real SQLite event store on a file of its own, removed by `cleanup`. */
export async function openTempStore(): Promise<{
  store: EventStore;
  path: string;
  cleanup: () => Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'social-graph-'));
  const path = join(dir, 'events.sqlite');
  const store = openSqliteEventStore({ path });
  return {
    store,
    path,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The service over a fresh store, with a token issuer standing in for identity. */
export async function startService() {
  const { store, cleanup } = await openTempStore();
  const issuer = await createTestTokenIssuer();
  const app = buildSocialGraphApp({ store, verifier: issuer.verifier });
  await app.ready();
  return {
    app,
    store,
    issuer,
    close: async () => {
      await app.close();
      await cleanup();
    },
  };
}

/** Seeds an account the way identity records it: UserRegistered in the user's own stream. */
export async function registerUser(store: EventStore, userId: string = newId()): Promise<string> {
  const tail = userId.slice(-12);
  await store.appendToStream(
    streamIds.user(userId),
    [
      toStoredEvent({
        type: 'UserRegistered',
        data: {
          userId,
          userName: `user_${tail}`,
          name: `User ${tail}`,
          bio: '',
          profilePic: 'https://cdn.example.com/default.png',
          registeredAt: new Date().toISOString(),
        },
      }),
    ],
    { expectedRevision: 'no_stream' },
  );
  return userId;
}

export async function deleteUser(store: EventStore, userId: string): Promise<void> {
  await store.appendToStream(
    streamIds.user(userId),
    [toStoredEvent({ type: 'UserDeleted', data: { userId, deletedAt: new Date().toISOString() } })],
    { expectedRevision: 'stream_exists' },
  );
}

/** The follow stream of (follower, followee) as domain events. */
export async function followStream(
  store: EventStore,
  followerId: string,
  followeeId: string,
): Promise<DomainEvent[]> {
  const recorded = await store.readStream(streamIds.follow(followerId, followeeId));
  return recorded.flatMap((r) => {
    const event = fromStoredEvent(r);
    return event ? [event] : [];
  });
}

/** Turns the account private (or public again) the way identity records it: ProfileUpdated in its user stream. */
export async function setPrivate(store: EventStore, userId: string, isPrivate: boolean): Promise<void> {
  await store.appendToStream(
    streamIds.user(userId),
    [
      toStoredEvent({
        type: 'ProfileUpdated',
        data: { userId, isPrivate, updatedAt: new Date().toISOString() },
      }),
    ],
    { expectedRevision: 'stream_exists' },
  );
}
