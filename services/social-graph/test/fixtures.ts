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

/** The next append to `streamId` waits until `meanwhile` has run. */
export interface HeldAppend {
  streamId: string;
  meanwhile: () => Promise<unknown>;
}

/**
 * The store, with the next append to one chosen stream held until something else has run first: an interleaving
 * of two writes made to happen every time rather than now and then. `pending` says whether the hold is still
 * waiting for its append.
 */
export function holdingAppends(store: EventStore): {
  store: EventStore;
  hold(next: HeldAppend): void;
  readonly pending: boolean;
} {
  let held: HeldAppend | undefined;
  const holding: EventStore = new Proxy(store, {
    get(target, property) {
      if (property === 'appendToStream') {
        return async (...args: Parameters<EventStore['appendToStream']>) => {
          const hold = held;
          if (hold && args[0] === hold.streamId) {
            held = undefined;
            await hold.meanwhile();
          }
          return target.appendToStream(...args);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    store: holding,
    hold(next) {
      held = next;
    },
    get pending() {
      return held !== undefined;
    },
  };
}
