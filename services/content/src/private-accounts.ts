import type { EventStore } from '@gram/event-store';
import { fromStoredEvent, streamIds } from '@gram/events';
import { HttpProblem, readAccountStanding } from '@gram/service-kit';

/**
 * Whether `userId` may like, comment on or reply under a post of `authorId`: always on a public account's post
 * and on one's own, on a private account's only as its approved follower. Decided from the write side's own
 * knowledge, as DESIGN.md asks: the author's private flag from its user stream, the follow from the pair's
 * follow stream (its last UserFollowed or UserUnfollowed: a pending request is not a follow, and a follower
 * the author removed no longer follows). A read model could lag behind a removal and let a write through.
 */
export async function assertMayEngage(store: EventStore, authorId: string, userId: string): Promise<void> {
  if (authorId === userId) return;
  if (!(await readAccountStanding(store, authorId)).isPrivate) return;
  if (await follows(store, userId, authorId)) return;
  throw new HttpProblem(
    403,
    `account ${authorId} is private: only its approved followers may engage with its posts`,
    {
      code: 'private-account',
    },
  );
}

async function follows(store: EventStore, followerId: string, followeeId: string): Promise<boolean> {
  let following = false;
  for (const recorded of await store.readStream(streamIds.follow(followerId, followeeId))) {
    const type = fromStoredEvent(recorded)?.type;
    if (type === 'UserFollowed') following = true;
    else if (type === 'UserUnfollowed') following = false;
  }
  return following;
}
