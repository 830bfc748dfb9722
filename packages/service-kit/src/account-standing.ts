import type { EventStore } from '@gram/event-store';
import { fromStoredEvent, streamIds } from '@gram/events';
import type { AccountStatus } from './accounts.js';

/** Whether an account exists, and whether it is private: what a write touching its follows or content decides on. */
export interface AccountStanding {
  status: AccountStatus;
  isPrivate: boolean;
}

/**
 * The account's standing, folded from identity's public events in the account's own stream (UserRegistered,
 * ProfileUpdated, UserDeleted): the write side's truth. A read model could lag behind the switch to private
 * and let a follow through without a request. Never cached: an account may turn private at any moment, from
 * any process. `isPrivate` is stored in clear (it is not personal data), so no data key is needed to read it.
 */
export async function readAccountStanding(store: EventStore, userId: string): Promise<AccountStanding> {
  const standing: AccountStanding = { status: 'none', isPrivate: false };
  for (const recorded of await store.readStream(streamIds.user(userId))) {
    const event = fromStoredEvent(recorded);
    if (event?.type === 'UserRegistered') standing.status = 'active';
    else if (event?.type === 'UserDeleted') standing.status = 'deleted';
    else if (event?.type === 'ProfileUpdated' && event.data.isPrivate !== undefined) {
      standing.isPrivate = event.data.isPrivate;
    }
  }
  return standing;
}
