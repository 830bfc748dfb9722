import type { EventStore } from '@gram/event-store';
import { type EventOfType, streamIds, topicOf } from '@gram/events';
import type { EventMessage, SubscribeOptions } from '@gram/messaging';
import { loadAggregate } from '@gram/service-kit';
import { blockDecider } from './blocks/block.js';
import { endFollowsOnBlock } from './blocks/pair.js';
import { acceptPendingRequests } from './follows/public-switch.js';

export interface SocialGraphReactionsOptions {
  store: EventStore;
  /** the consumer group (distributed mode: SOCIAL_GRAPH_GROUP_ID); one per set of follow streams */
  groupId?: string;
  /** the clock that stamps what a reaction records */
  now?: () => Date;
}

/**
 * What social-graph does in reaction to events, on the streams it owns: it completes what a block ends (follows
 * and pending requests both ways), which the block route does right after appending UserBlocked, in case the
 * process stopped in between; and it accepts the requests pending to an account that turned public
 * (follows/public-switch.ts). Fed like the read side: a Kafka consumer group of its own in the distributed mode
 * (main.ts), a subscription on the in-process bus in the embedded mode (apps/embedded).
 *
 * Delivery is at least once, and the broker may hold events of accounts this store has never seen (a shared test
 * broker): every handler decides on the target streams with handleCommand, so what is ended already, or was never
 * there, records nothing.
 */
export function socialGraphReactions(options: SocialGraphReactionsOptions): SubscribeOptions {
  const { store } = options;
  const now = options.now ?? (() => new Date());
  const onBlock = async (message: EventMessage) => {
    const { blockerId, blockedId } = message.data as EventOfType<'UserBlocked'>['data'];
    // A block undone since (UserUnblocked) ends nothing any more: the follows the pair made after the unblock
    // must stand. The route ended what stood before the unblock, unless it stopped in between; that window
    // (a crash, then an unblock before this message is handled) is the one this leaves open.
    const block = await loadAggregate(store, streamIds.block(blockerId, blockedId), blockDecider);
    if (block.state.status !== 'blocked') return;
    await endFollowsOnBlock(store, {
      blockerId,
      blockedId,
      endedAt: now().toISOString(),
      correlationId: message.id,
    });
  };
  const onProfileUpdated = async (message: EventMessage) => {
    const { userId, isPrivate } = message.data as EventOfType<'ProfileUpdated'>['data'];
    if (isPrivate !== false) return;
    await acceptPendingRequests(store, {
      accountId: userId,
      acceptedAt: now().toISOString(),
      correlationId: message.id,
    });
  };
  return {
    groupId: options.groupId ?? 'social-graph-reactions',
    topics: [relationsTopic, usersTopic],
    handler: async (message) => {
      if (message.type === 'UserBlocked') await onBlock(message);
      else if (message.type === 'ProfileUpdated') await onProfileUpdated(message);
    },
  };
}

const relationsTopic = topicOf('UserBlocked') as string;
const usersTopic = topicOf('ProfileUpdated') as string;
