import { deciderSpec } from '@gram/service-kit/decider-spec';
import { describe, expect, it } from 'vitest';
import {
  abandonedClaimAfterMs,
  type Holder,
  loginCandidates,
  type ReservationCommand,
  type ReservationEvent,
  reservationDecider,
} from './reservation.js';

const spec = deciderSpec(reservationDecider);
const alice = '01990000-0000-7000-8000-00000000000a';
const bob = '01990000-0000-7000-8000-00000000000b';
const t0 = '2025-01-01T00:00:00.000Z';
const t1 = '2025-01-01T00:00:05.000Z';

const reserved = (userId: string, at = t0): ReservationEvent => ({
  type: 'UniqueValueReserved',
  data: { kind: 'userName', userId, reservedAt: at },
});
const released = (userId: string, at = t0): ReservationEvent => ({
  type: 'UniqueValueReleased',
  data: { kind: 'userName', userId, releasedAt: at },
});
const reserve = (userId: string, holder?: Holder, at = t1): ReservationCommand => ({
  type: 'ReserveValue',
  data: { kind: 'userName', userId, reservedAt: at, ...(holder ? { holder } : {}) },
});
const release = (userId: string): ReservationCommand => ({
  type: 'ReleaseValue',
  data: { kind: 'userName', userId, releasedAt: t1 },
});

describe('reserving a unique value', () => {
  it('claims a value nobody ever held', () => {
    spec().when(reserve(alice)).thenRecords(reserved(alice, t1));
  });

  it('refuses a value another account holds, naming the field', () => {
    spec(reserved(alice)).when(reserve(bob)).thenFailsWith('ValueTaken', 'userName');
  });

  it('changes nothing when the same account claims its own value again (a retried signup)', () => {
    spec(reserved(alice)).when(reserve(alice)).thenNothingHappens();
  });

  it('claims a value that was released', () => {
    spec(reserved(alice), released(alice)).when(reserve(bob)).thenRecords(reserved(bob, t1));
  });

  it("takes over the claim of a deleted account whose release was lost, releasing it on the holder's behalf", () => {
    spec(reserved(alice))
      .when(reserve(bob, { userId: alice, account: 'deleted' }))
      .thenRecords(released(alice, t1), reserved(bob, t1));
  });

  it('takes over a claim whose signup died before registering, once it is old enough', () => {
    const late = new Date(Date.parse(t0) + abandonedClaimAfterMs).toISOString();
    spec(reserved(alice))
      .when(reserve(bob, { userId: alice, account: 'none' }, late))
      .thenRecords(released(alice, late), reserved(bob, late));
  });

  it('does not take over a fresh claim without an account yet: its signup may still be registering', () => {
    spec(reserved(alice))
      .when(reserve(bob, { userId: alice, account: 'none' }))
      .thenFailsWith('ValueTaken', 'userName');
  });

  it('does not take over the claim of a live account', () => {
    spec(reserved(alice))
      .when(reserve(bob, { userId: alice, account: 'active' }))
      .thenFailsWith('ValueTaken', 'userName');
  });

  it('ignores holder facts about another account than the one holding the value now', () => {
    spec(reserved(alice), released(alice), reserved(bob))
      .when(reserve('01990000-0000-7000-8000-00000000000c', { userId: alice, account: 'deleted' }))
      .thenFailsWith('ValueTaken', 'userName');
  });
});

describe('releasing a unique value', () => {
  it('gives up the claim of its holder', () => {
    spec(reserved(alice)).when(release(alice)).thenRecords(released(alice, t1));
  });

  it("never releases another account's claim", () => {
    spec(reserved(alice)).when(release(bob)).thenNothingHappens();
  });

  it('is idempotent: releasing twice, or what was never held, changes nothing', () => {
    spec(reserved(alice), released(alice)).when(release(alice)).thenNothingHappens();
    spec().when(release(alice)).thenNothingHappens();
  });
});

describe('login candidates', () => {
  it('reads a login as every kind of value it could be', () => {
    expect(loginCandidates('alice')).toEqual([{ kind: 'userName', value: 'alice' }]);
    expect(loginCandidates(' Alice@Example.com ')).toEqual([{ kind: 'email', value: 'Alice@Example.com' }]);
    expect(loginCandidates('+4915112345678')).toEqual([{ kind: 'phoneNo', value: '+4915112345678' }]);
    expect(loginCandidates('15112345678').map((c) => c.kind)).toEqual(['userName', 'phoneNo']);
    expect(loginCandidates('no way!')).toEqual([]);
  });
});
