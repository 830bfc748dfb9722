import type { EventStore } from '@gram/event-store';
import { type DomainEvent, fromStoredEvent, streamIds } from '@gram/events';
import { readAccountStanding, type UserSummary } from '@gram/service-kit';
import { LRUCache } from 'lru-cache';

/**
 * The `UserSummary` of an author, folded from identity's public events in the author's own
 * stream `user-<userId>` (UserRegistered, then each ProfileUpdated). Read from the event store,
 * not from a read model, so a write can answer with its author even before any projection has
 * seen the account. Private events of that stream (credentials) are never looked at.
 */
export function userSummaryOf(
  events: Iterable<DomainEvent>,
  /** the summary folded from the events before these */
  from?: UserSummary,
): UserSummary | undefined {
  let summary = from;
  for (const event of events) {
    switch (event.type) {
      case 'UserRegistered': {
        const { userId, userName, name, profilePic } = event.data;
        summary = { id: userId, userName, name, profilePic };
        break;
      }
      case 'ProfileUpdated': {
        if (!summary) break;
        const { name, profilePic } = event.data;
        summary = {
          ...summary,
          ...(name !== undefined ? { name } : {}),
          ...(profilePic !== undefined ? { profilePic } : {}),
        };
        break;
      }
      default:
        // UserDeleted and the private events change nothing of a summary.
        break;
    }
  }
  return summary;
}

interface Folded {
  summary: UserSummary | undefined;
  revision: number;
}

/**
 * Per store, the summaries folded so far: a later read folds only the events appended since (usually none: one
 * index probe, nothing to decrypt), where reading the whole stream would decrypt every name and userName it ever
 * held on each post, comment and reply. Bounded; an account pushed out is folded whole again when next asked.
 * A deleted account's summary is never kept: its plaintext leaves memory with its key.
 */
const foldedByStore = new WeakMap<EventStore, LRUCache<string, Folded>>();

/** The author's summary from their stream (read through content's store, which decrypts the profile's fields). */
export async function readUserSummary(store: EventStore, userId: string): Promise<UserSummary | undefined> {
  let cache = foldedByStore.get(store);
  if (!cache) {
    cache = new LRUCache<string, Folded>({ max: 50_000 });
    foldedByStore.set(store, cache);
  }
  const streamId = streamIds.user(userId);
  const known = cache.get(userId);
  const recorded = await store.readStream(streamId, { fromRevision: (known?.revision ?? -1) + 1 });
  const events = recorded.flatMap((r) => fromStoredEvent(r) ?? []);
  if (events.some((event) => event.type === 'UserDeleted')) {
    if (!known) return userSummaryOf(events);
    cache.delete(userId);
    // What the store reads now (its personal fields forgotten), not the plaintext remembered.
    return userSummaryOf((await store.readStream(streamId)).flatMap((r) => fromStoredEvent(r) ?? []));
  }
  const summary = userSummaryOf(events, known?.summary);
  const revision = recorded.at(-1)?.revision;
  // A concurrent read may have stored a newer fold meanwhile: never replace it with an older one.
  if (revision !== undefined && (cache.get(userId)?.revision ?? -1) < revision) {
    cache.set(userId, { summary, revision });
  }
  return summary;
}

/**
 * The summary of an account that authentication has just found active: its registration is in
 * its stream for good (events are never removed), so a missing one is a broken invariant.
 */
export async function activeUserSummary(store: EventStore, userId: string): Promise<UserSummary> {
  const summary = await readUserSummary(store, userId);
  if (!summary) throw new Error(`user-${userId} has no UserRegistered although its account is active`);
  return summary;
}

/**
 * The summaries of the accounts a text mentions, in its order, for the answer to the write that recorded them:
 * an account deleted since leaves, as it leaves the read side's answers.
 */
export async function mentionedSummaries(store: EventStore, ids: readonly string[]): Promise<UserSummary[]> {
  const summaries = await Promise.all(
    ids.map(async (id) =>
      (await readAccountStanding(store, id)).status === 'active' ? readUserSummary(store, id) : undefined,
    ),
  );
  return summaries.filter((summary): summary is UserSummary => summary !== undefined);
}
