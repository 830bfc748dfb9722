import type { EventStore } from '@gram/event-store';
import { type EventOfType, streamIds } from '@gram/events';
import { type CommandResult, handleCommand, isDomainError, readAccountStanding } from '@gram/service-kit';
import { readPairBlocks } from '../blocks/pair.js';
import { type FollowEvent, type FollowState, followDecider } from './follow.js';

/**
 * A public account has no pending follow request: switching back to public accepts every one (API.md). Two
 * writes keep that true, neither relying on a read model that may lag:
 * - the reaction to the switch (ProfileUpdated with `isPrivate: false`, see reactions.ts) accepts every request
 *   pending to the account when it runs, found in the log itself (`readByType`: no stream gathers the requests to
 *   one account, and a switch is rare enough to afford a pass over the log's FollowRequested events);
 * - a follow decided while the account was private but appended after the reaction's pass is accepted by the
 *   follow route itself, which reads the account's standing again after appending a request
 *   (`acceptIfPublicNow`). Whichever runs second sees the other's write.
 * The reaction does nothing for an account that is private again when it runs: its pending requests are then
 * requests to a private account, for it to answer.
 */
export async function acceptPendingRequests(
  store: EventStore,
  switched: { accountId: string; acceptedAt: string; correlationId: string },
): Promise<number> {
  const { accountId } = switched;
  if ((await readAccountStanding(store, accountId)).isPrivate) return 0;
  const requesters = new Set<string>();
  const pageSize = 1_000;
  for (let after = 0; ; ) {
    const page = await store.readByType(['FollowRequested'], { after, maxCount: pageSize });
    for (const event of page) {
      const { followerId, followeeId } = event.data as EventOfType<'FollowRequested'>['data'];
      if (followeeId === accountId) requesters.add(followerId);
    }
    if (page.length < pageSize) break;
    after = page.at(-1)?.position ?? after;
  }
  let accepted = 0;
  for (const followerId of requesters) {
    const result = await accept(store, { ...switched, followerId });
    if (result && result.events.length > 0) accepted++;
  }
  return accepted;
}

/**
 * The second half of a follow that recorded a request: when the followee is public by now (it switched after the
 * route read its standing), the request is accepted at once, as the switch would have. Hands back the accept's
 * result, or undefined when the followee is still private.
 */
export async function acceptIfPublicNow(
  store: EventStore,
  request: { followerId: string; followeeId: string; acceptedAt: string; correlationId: string },
): Promise<CommandResult<FollowState, FollowEvent> | undefined> {
  if ((await readAccountStanding(store, request.followeeId)).isPrivate) return undefined;
  return accept(store, { ...request, accountId: request.followeeId });
}

/**
 * Accepts the follower's pending request, if it still is one, as the account's own act (actorId: the account
 * that turned public). What is not pending any more (withdrawn, declined, accepted, ended by a block) or whose
 * requester is gone records nothing.
 */
async function accept(
  store: EventStore,
  request: { accountId: string; followerId: string; acceptedAt: string; correlationId: string },
): Promise<CommandResult<FollowState, FollowEvent> | undefined> {
  const { accountId, followerId, acceptedAt, correlationId } = request;
  const [follower, blocks] = await Promise.all([
    readAccountStanding(store, followerId),
    readPairBlocks(store, followerId, accountId),
  ]);
  const result = await handleCommand(
    store,
    streamIds.follow(followerId, accountId),
    followDecider,
    {
      type: 'AcceptFollowRequest',
      data: { followerId, followeeId: accountId, acceptedAt, follower: follower.status, blocks },
    },
    { actorId: accountId, correlationId },
  );
  return isDomainError(result) ? undefined : result;
}
