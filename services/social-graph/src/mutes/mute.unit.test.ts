import type { AccountStatus } from '@gram/service-kit';
import { deciderSpec } from '@gram/service-kit/decider-spec';
import { describe, it } from 'vitest';
import { type MuteCommand, type MuteEvent, muteDecider } from './mute.js';

const spec = deciderSpec(muteDecider);
const muterId = '01900000-0000-7000-8000-0000000000a1';
const mutedId = '01900000-0000-7000-8000-0000000000b2';
const t1 = '2025-01-01T10:00:00.000Z';
const t2 = '2025-01-01T11:00:00.000Z';
const t3 = '2025-01-01T12:00:00.000Z';

const muted = (mutedAt: string): MuteEvent => ({ type: 'UserMuted', data: { muterId, mutedId, mutedAt } });
const unmuted = (unmutedAt: string): MuteEvent => ({
  type: 'UserUnmuted',
  data: { muterId, mutedId, unmutedAt },
});
const mute = (mutedAt: string, status: AccountStatus = 'active', of = mutedId): MuteCommand => ({
  type: 'MuteUser',
  data: { muterId, mutedId: of, mutedAt, muted: status },
});
const unmute = (unmutedAt: string, status: AccountStatus = 'active', of = mutedId): MuteCommand => ({
  type: 'UnmuteUser',
  data: { muterId, mutedId: of, unmutedAt, muted: status },
});

describe('MuteUser', () => {
  it('records UserMuted on a first mute of a live account', () => {
    spec().when(mute(t1)).thenRecords(muted(t1));
  });

  it('records nothing when the user already mutes the account', () => {
    spec(muted(t1)).when(mute(t2)).thenNothingHappens();
  });

  it('records a new UserMuted after an unmute', () => {
    spec(muted(t1), unmuted(t2)).when(mute(t3)).thenRecords(muted(t3));
  });

  it('refuses to let a user mute themselves', () => {
    spec()
      .when(mute(t1, 'active', muterId))
      .thenFailsWith('CannotMuteSelf', 'userId');
  });

  it('answers not found for an account that never existed or was deleted', () => {
    spec().when(mute(t1, 'none')).thenFailsWith('UserNotFound', 'userId');
    spec().when(mute(t1, 'deleted')).thenFailsWith('UserNotFound', 'userId');
  });
});

describe('UnmuteUser', () => {
  it('records UserUnmuted when the user mutes the account', () => {
    spec(muted(t1)).when(unmute(t2)).thenRecords(unmuted(t2));
  });

  it('records nothing when the user never muted the account, or unmuted it already', () => {
    spec().when(unmute(t1)).thenNothingHappens();
    spec(muted(t1), unmuted(t2)).when(unmute(t3)).thenNothingHappens();
  });

  it('records nothing for oneself, which is never muted', () => {
    spec()
      .when(unmute(t1, 'active', muterId))
      .thenNothingHappens();
  });

  it('answers not found for an account that never existed or was deleted', () => {
    spec().when(unmute(t1, 'none')).thenFailsWith('UserNotFound', 'userId');
    spec(muted(t1)).when(unmute(t2, 'deleted')).thenFailsWith('UserNotFound', 'userId');
  });
});
