import type { Logger } from '@gram/messaging';
import { AssignerProtocol, type Consumer, type Kafka, type PartitionAssigner } from 'kafkajs';

export interface LeaseOptions {
  kafka: Kafka;
  group: string;
  /** a topic with one partition; it holds no messages, its partition 0 is the lease */
  topic: string;
  /** how long the group coordinator waits for a silent holder before it hands the lease to a standby */
  sessionTimeoutMs: number;
  logger: Logger;
  /** called with true when this member gets the lease, false when it loses it */
  onChange: (holding: boolean) => void;
}

export interface Lease {
  readonly holding: boolean;
  /** leaves the group: a standby gets the lease at once, without waiting for a session timeout */
  release(): Promise<void>;
}

const HOLDING = Buffer.from('holding');
const NOT_HOLDING = Buffer.alloc(0);

/**
 * One active relay, the others standing by: every instance joins one consumer group on a one-partition topic,
 * and the member the group assigns partition 0 is active. The group coordinator does the failure detection: a
 * holder that stops heartbeating for `sessionTimeoutMs` (crashed, hung, cut off) is removed and the partition goes
 * to a standby. A holder that shuts down leaves the group and hands over at once.
 *
 * The assignment is sticky: each member says in its group metadata whether it holds the lease, and the group
 * leader keeps the lease with its holder across rebalances (a standby joining or leaving must not move it).
 *
 * A lease alone cannot stop a holder that was declared dead but is still running (a long GC pause, a network
 * partition): for a moment two instances may believe they hold it. The relay's transactional producer closes
 * that gap (see relay.ts): the new holder's producer fences the old one before it reads the checkpoint.
 */
export async function joinLease(options: LeaseOptions): Promise<Lease> {
  const { kafka, group, topic, logger } = options;
  let holding = false;

  const stickyLeaseAssigner: PartitionAssigner = () => ({
    name: 'StickyLease',
    version: 1,
    async assign({ members }) {
      const holder =
        members.find((m) =>
          AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.userData.equals(HOLDING),
        ) ?? [...members].sort((a, b) => a.memberId.localeCompare(b.memberId))[0];
      return members.map((member) => ({
        memberId: member.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: member === holder ? { [topic]: [0] } : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: 'StickyLease',
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: 1,
          topics,
          userData: holding ? HOLDING : NOT_HOLDING,
        }),
      };
    },
  });

  const consumer: Consumer = kafka.consumer({
    groupId: group,
    partitionAssigners: [stickyLeaseAssigner],
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: Math.max(200, Math.floor(options.sessionTimeoutMs / 6)),
    // The lease topic stays empty: a fetch waits this long, and the consumer heartbeats between fetches.
    maxWaitTimeInMs: Math.max(100, Math.floor(options.sessionTimeoutMs / 6)),
    allowAutoTopicCreation: false,
  });

  const change = (next: boolean) => {
    if (next === holding) return;
    holding = next;
    options.onChange(next);
  };
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    change(payload.memberAssignment[topic]?.includes(0) ?? false);
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    // Out of the group until kafkajs restarts the consumer and it joins again: no longer the holder.
    logger.error(
      { err: { message: payload.error.message }, restart: payload.restart },
      `lease consumer crashed${payload.restart ? '; rejoining' : ''}`,
    );
    change(false);
  });

  await consumer.connect();
  await consumer.subscribe({ topics: [topic] });
  await consumer.run({ autoCommit: false, eachMessage: async () => {} });

  return {
    get holding() {
      return holding;
    },
    async release() {
      change(false);
      await consumer.disconnect();
    },
  };
}
