import type { AccountStatus } from '@gram/service-kit';
import { deciderSpec } from '@gram/service-kit/decider-spec';
import { describe, it } from 'vitest';
import { type BlockCommand, type BlockEvent, blockDecider } from './block.js';

const spec = deciderSpec(blockDecider);
const blockerId = '01900000-0000-7000-8000-0000000000a1';
const blockedId = '01900000-0000-7000-8000-0000000000b2';
const t1 = '2025-01-01T10:00:00.000Z';
const t2 = '2025-01-01T11:00:00.000Z';
const t3 = '2025-01-01T12:00:00.000Z';

const blocked = (blockedAt: string): BlockEvent => ({
  type: 'UserBlocked',
  data: { blockerId, blockedId, blockedAt },
});
const unblocked = (unblockedAt: string): BlockEvent => ({
  type: 'UserUnblocked',
  data: { blockerId, blockedId, unblockedAt },
});
const block = (blockedAt: string, status: AccountStatus = 'active', of = blockedId): BlockCommand => ({
  type: 'BlockUser',
  data: { blockerId, blockedId: of, blockedAt, blocked: status },
});
const unblock = (unblockedAt: string, status: AccountStatus = 'active', of = blockedId): BlockCommand => ({
  type: 'UnblockUser',
  data: { blockerId, blockedId: of, unblockedAt, blocked: status },
});

describe('BlockUser', () => {
  it('records UserBlocked on a first block of a live account', () => {
    spec().when(block(t1)).thenRecords(blocked(t1));
  });

  it('records nothing when the user already blocks the account', () => {
    spec(blocked(t1)).when(block(t2)).thenNothingHappens();
  });

  it('records a new UserBlocked after an unblock', () => {
    spec(blocked(t1), unblocked(t2)).when(block(t3)).thenRecords(blocked(t3));
  });

  it('refuses to let a user block themselves', () => {
    spec()
      .when(block(t1, 'active', blockerId))
      .thenFailsWith('CannotBlockSelf', 'userId');
  });

  it('answers not found for an account that never existed or was deleted', () => {
    spec().when(block(t1, 'none')).thenFailsWith('UserNotFound', 'userId');
    spec().when(block(t1, 'deleted')).thenFailsWith('UserNotFound', 'userId');
  });
});

describe('UnblockUser', () => {
  it('records UserUnblocked when the user blocks the account', () => {
    spec(blocked(t1)).when(unblock(t2)).thenRecords(unblocked(t2));
  });

  it('records nothing when the user never blocked the account, or unblocked it already', () => {
    spec().when(unblock(t1)).thenNothingHappens();
    spec(blocked(t1), unblocked(t2)).when(unblock(t3)).thenNothingHappens();
  });

  it('records nothing for oneself, which is never blocked', () => {
    spec()
      .when(unblock(t1, 'active', blockerId))
      .thenNothingHappens();
  });

  it('answers not found for an account that never existed or was deleted', () => {
    spec().when(unblock(t1, 'none')).thenFailsWith('UserNotFound', 'userId');
    spec(blocked(t1)).when(unblock(t2, 'deleted')).thenFailsWith('UserNotFound', 'userId');
  });
});

describe('the state a block stream folds to', () => {
  it('is blocked after UserBlocked, and unblocked after UserUnblocked', () => {
    spec().when(block(t1)).thenStateIs({ status: 'blocked', blockedAt: t1 });
    spec(blocked(t1)).when(unblock(t2)).thenStateIs({ status: 'unblocked', unblockedAt: t2 });
  });
});
