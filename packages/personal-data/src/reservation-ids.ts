/**
 * The stream ids of identity's reservations (the claims that keep userName, email and phoneNo unique, one stream
 * per value): `reservation-<kind>-<key>`, where the key is an HMAC-SHA-256 of the normalized value under the
 * reservation secret, a 32-byte key kept in identity's data key store. Here, not in identity, because the log
 * migration (encrypt-log.ts) rewrites these ids too.
 *
 * Why a keyed hash: a stream id is never erased (not by an account's deletion, not from a backup, not from the
 * stream list anyone reading the store sees). A plain hash of an email is reversed by hashing a list of emails
 * and looking each one up: that confirms an address has (or had) an account, for good. Under the secret, the same
 * dictionary needs the secret, which lives with the data keys, wrapped by the master key, not with the log.
 * Why not ids that mean nothing, with a table of value → id cleared on deletion: the table is personal data
 * outside the log that every replica must share and every deletion must erase, while the uniqueness guarantee
 * would still rest on that table, not on the event store's expected revisions. The HMAC keeps the id a pure
 * function of the value, so every replica computes it and the store's "no stream" append still decides races.
 *
 * The userName is keyed the same way: one rule for every kind.
 */
import { createHash, createHmac } from 'node:crypto';
import { streamIds } from '@gram/events';
import type { DataKeyStore } from './data-key-store.js';

export type UniqueKind = Parameters<typeof streamIds.reservation>[0];

/**
 * The id the key store keeps the reservation secret under: it is made by `create` like an account's data key
 * (wrapped by the master key, or the KMS behind it), so it needs no configuration of its own, survives restarts,
 * and every replica sharing the store agrees on it. Account ids are UUIDs, which never hold a `:`: no account can
 * be given this key, and an account's deletion (which destroys the key of the account's own UUID) cannot destroy
 * it; the internal data-key route answers UUIDs only, so it never hands it out either.
 */
export const reservationSecretId = 'identity:reservation-secret';

/** The form under which values are compared: userName and email case-insensitively, phoneNo as given. */
export function normalizeUniqueValue(kind: UniqueKind, value: string): string {
  switch (kind) {
    case 'userName':
    case 'email':
      return value.trim().toLowerCase();
    case 'phoneNo':
      return value.trim();
    default: {
      const never: never = kind;
      throw new Error(`unknown kind of unique value: ${never}`);
    }
  }
}

/** A keyed id's key is base64url (43 characters), a legacy one hex (64): the two never look alike. */
const legacyReservationStream = /^reservation-(userName|email|phoneNo)-[0-9a-f]{64}$/;

/**
 * The id a reservation stream had before ids were keyed: the plain SHA-256 of the normalized value. Still read
 * by identity (a value claimed then is still taken) until the log is migrated, which rewrites every such id.
 */
export function legacyReservationStreamId(kind: UniqueKind, value: string): string {
  const key = createHash('sha256').update(normalizeUniqueValue(kind, value), 'utf8').digest('hex');
  return streamIds.reservation(kind, key);
}

export function isLegacyReservationStreamId(streamId: string): boolean {
  return legacyReservationStream.test(streamId);
}

/** Reservation stream ids under one reservation secret. */
export class ReservationIds {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    if (secret.length !== 32) throw new Error(`a reservation secret has 32 bytes, not ${secret.length}`);
    this.#secret = secret;
  }

  /** Under the secret of `keys` (made there on first use; concurrent first uses, from any replica, agree on one). */
  static async of(keys: Pick<DataKeyStore, 'create'>): Promise<ReservationIds> {
    return new ReservationIds(await keys.create(reservationSecretId));
  }

  streamId(kind: UniqueKind, value: string): string {
    const key = createHmac('sha256', this.#secret)
      .update(normalizeUniqueValue(kind, value), 'utf8')
      .digest('base64url');
    return streamIds.reservation(kind, key);
  }
}
