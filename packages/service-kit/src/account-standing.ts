import type { EventStore } from '@gram/event-store';
import { fromStoredEvent, streamIds } from '@gram/events';
import { LRUCache } from 'lru-cache';
import type { AccountStatus } from './accounts.js';

/** Whether an account exists, and whether it is private: what a write touching its follows or content decides on. */
export interface AccountStanding {
  status: AccountStatus;
  isPrivate: boolean;
}

/** What was folded of an account's stream: its standing as of `revision` (-1: nothing yet). */
interface Folded {
  revision: number;
  standing: AccountStanding;
}

/**
 * Per store, the standings folded so far: a later read folds only the events appended since, so a like reads the
 * tail of its author's stream (usually nothing: one index lookup) rather than the whole stream, every time.
 * Bounded; an account pushed out is folded whole again when next asked.
 */
const foldedByStore = new WeakMap<EventStore, LRUCache<string, Folded>>();

/**
 * The account's standing, folded from identity's public events in the account's own stream (UserRegistered,
 * ProfileUpdated, UserDeleted): the write side's truth. A read model could lag behind the switch to private
 * and let a follow through without a request. Never answered from memory alone: the stream is read from the
 * revision folded last, so a switch appended a moment ago, by any process, is seen. `isPrivate` is stored in
 * clear (it is not personal data), so no data key is needed to read it.
 */
export async function readAccountStanding(store: EventStore, userId: string): Promise<AccountStanding> {
  let cache = foldedByStore.get(store);
  if (!cache) {
    cache = new LRUCache<string, Folded>({ max: 50_000 });
    foldedByStore.set(store, cache);
  }
  const known = cache.get(userId);
  const standing: AccountStanding = known ? { ...known.standing } : { status: 'none', isPrivate: false };
  let revision = known?.revision ?? -1;
  for (const recorded of await store.readStream(streamIds.user(userId), { fromRevision: revision + 1 })) {
    revision = recorded.revision;
    const event = fromStoredEvent(recorded);
    if (event?.type === 'UserRegistered') standing.status = 'active';
    else if (event?.type === 'UserDeleted') standing.status = 'deleted';
    else if (event?.type === 'ProfileUpdated' && event.data.isPrivate !== undefined) {
      standing.isPrivate = event.data.isPrivate;
    }
  }
  if (revision >= 0 && revision !== known?.revision)
    cache.set(userId, { revision, standing: { ...standing } });
  return standing;
}
