import type { EventStore } from '@gram/event-store';
import { type DomainEvent, fromStoredEvent, streamIds } from '@gram/events';
import type { UserSummary } from '@gram/service-kit';

/**
 * The `UserSummary` of an author, folded from identity's public events in the author's own
 * stream `user-<userId>` (UserRegistered, then each ProfileUpdated). Read from the event store,
 * not from a read model, so a write can answer with its author even before any projection has
 * seen the account. Private events of that stream (credentials) are never looked at.
 */
export function userSummaryOf(events: Iterable<DomainEvent>): UserSummary | undefined {
  let summary: UserSummary | undefined;
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

/** The author's summary from their stream (read through content's store, which decrypts the profile's fields). */
export async function readUserSummary(store: EventStore, userId: string): Promise<UserSummary | undefined> {
  const recorded = await store.readStream(streamIds.user(userId));
  return userSummaryOf(recorded.flatMap((r) => fromStoredEvent(r) ?? []));
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
