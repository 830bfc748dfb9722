import { createHash, randomBytes } from 'node:crypto';
import { Id } from '@gram/events';
import { describe, expect, it } from 'vitest';
import {
  isLegacyReservationStreamId,
  legacyReservationStreamId,
  normalizeUniqueValue,
  ReservationIds,
  reservationSecretId,
} from './reservation-ids.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('reservation stream ids', () => {
  it('compare userNames and emails case-insensitively and ignore surrounding spaces', () => {
    const ids = new ReservationIds(randomBytes(32));
    expect(ids.streamId('userName', ' Alice.B ')).toBe(ids.streamId('userName', 'alice.b'));
    expect(ids.streamId('email', 'Alice@Example.COM')).toBe(ids.streamId('email', 'alice@example.com'));
    expect(normalizeUniqueValue('phoneNo', ' +4915112345678 ')).toBe('+4915112345678');
  });

  it('are not the plain SHA-256 of the value, which a dictionary of emails reverses, and differ under another secret', () => {
    const email = 'alice@example.com';
    const [one, other] = [new ReservationIds(randomBytes(32)), new ReservationIds(randomBytes(32))];
    const streamId = one.streamId('email', email);
    expect(streamId).toMatch(/^reservation-email-[A-Za-z0-9_-]{43}$/);
    expect(streamId).not.toContain(sha256(email));
    expect(streamId).not.toContain('alice');
    expect(other.streamId('email', email)).not.toBe(streamId);
    expect(isLegacyReservationStreamId(streamId)).toBe(false);
  });

  it('tell a legacy id, the plain SHA-256 of the normalized value, from a keyed one', () => {
    const legacy = legacyReservationStreamId('email', ' Alice@Example.com');
    expect(legacy).toBe(`reservation-email-${sha256('alice@example.com')}`);
    expect(isLegacyReservationStreamId(legacy)).toBe(true);
  });

  it('keep their secret under an id no account can have: account ids are UUIDs', () => {
    const uuid = new RegExp(Id().pattern as string);
    expect(reservationSecretId).not.toMatch(uuid);
  });

  it('refuse a secret that is not 32 bytes', () => {
    expect(() => new ReservationIds(randomBytes(16))).toThrow(/32 bytes/);
  });
});
