import { describe, expect, it } from 'vitest';
import { deciderSpec } from '../testing/decider-spec.js';
import {
  abandonedClaimAfterMs,
  loginCandidates,
  normalizeUniqueValue,
  type ReservationEvent,
  reservationDecider,
  reservationKey,
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

describe('reserving a unique value', () => {
  it('claims a value nobody ever held', () => {
    spec
      .given()
      .when({ type: 'ReserveValue', kind: 'userName', userId: alice, at: t1 })
      .thenEvents([reserved(alice, t1)]);
  });

  it('refuses a value another account holds, naming the field', () => {
    spec
      .given(reserved(alice))
      .when({ type: 'ReserveValue', kind: 'userName', userId: bob, at: t1 })
      .thenError('value-taken', 'userName');
  });

  it('changes nothing when the same account claims its own value again (a retried signup)', () => {
    spec
      .given(reserved(alice))
      .when({ type: 'ReserveValue', kind: 'userName', userId: alice, at: t1 })
      .thenEvents([]);
  });

  it('claims a value that was released', () => {
    spec
      .given(reserved(alice), released(alice))
      .when({ type: 'ReserveValue', kind: 'userName', userId: bob, at: t1 })
      .thenEvents([reserved(bob, t1)]);
  });

  it("takes over the claim of a deleted account whose release was lost, releasing it on the holder's behalf", () => {
    spec
      .given(reserved(alice))
      .when({
        type: 'ReserveValue',
        kind: 'userName',
        userId: bob,
        at: t1,
        holder: { userId: alice, account: 'deleted' },
      })
      .thenEvents([released(alice, t1), reserved(bob, t1)]);
  });

  it('takes over a claim whose signup died before registering, once it is old enough', () => {
    const late = new Date(Date.parse(t0) + abandonedClaimAfterMs).toISOString();
    spec
      .given(reserved(alice))
      .when({
        type: 'ReserveValue',
        kind: 'userName',
        userId: bob,
        at: late,
        holder: { userId: alice, account: 'none' },
      })
      .thenEvents([released(alice, late), reserved(bob, late)]);
  });

  it('does not take over a fresh claim without an account yet: its signup may still be registering', () => {
    spec
      .given(reserved(alice))
      .when({
        type: 'ReserveValue',
        kind: 'userName',
        userId: bob,
        at: t1,
        holder: { userId: alice, account: 'none' },
      })
      .thenError('value-taken', 'userName');
  });

  it('does not take over the claim of a live account', () => {
    spec
      .given(reserved(alice))
      .when({
        type: 'ReserveValue',
        kind: 'userName',
        userId: bob,
        at: t1,
        holder: { userId: alice, account: 'active' },
      })
      .thenError('value-taken', 'userName');
  });

  it('ignores holder facts about another account than the one holding the value now', () => {
    spec
      .given(reserved(alice), released(alice), reserved(bob))
      .when({
        type: 'ReserveValue',
        kind: 'userName',
        userId: '01990000-0000-7000-8000-00000000000c',
        at: t1,
        holder: { userId: alice, account: 'deleted' },
      })
      .thenError('value-taken', 'userName');
  });
});

describe('releasing a unique value', () => {
  it('gives up the claim of its holder', () => {
    spec
      .given(reserved(alice))
      .when({ type: 'ReleaseValue', kind: 'userName', userId: alice, at: t1 })
      .thenEvents([released(alice, t1)]);
  });

  it("never releases another account's claim", () => {
    spec
      .given(reserved(alice))
      .when({ type: 'ReleaseValue', kind: 'userName', userId: bob, at: t1 })
      .thenEvents([]);
  });

  it('is idempotent: releasing twice, or what was never held, changes nothing', () => {
    spec
      .given(reserved(alice), released(alice))
      .when({ type: 'ReleaseValue', kind: 'userName', userId: alice, at: t1 })
      .thenEvents([]);
    spec.given().when({ type: 'ReleaseValue', kind: 'userName', userId: alice, at: t1 }).thenEvents([]);
  });
});

describe('reservation keys', () => {
  it('compare userNames and emails case-insensitively and ignore surrounding spaces', () => {
    expect(reservationKey('userName', ' Alice.B ')).toBe(reservationKey('userName', 'alice.b'));
    expect(reservationKey('email', 'Alice@Example.COM')).toBe(reservationKey('email', 'alice@example.com'));
    expect(normalizeUniqueValue('phoneNo', ' +4915112345678 ')).toBe('+4915112345678');
  });

  it('are hex SHA-256 digests, so no contact data appears in a stream id', () => {
    const key = reservationKey('email', 'alice@example.com');
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).not.toContain('alice');
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
