import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventStore, openSqliteEventStore } from '@gram/event-store';
import { personalFields } from '@gram/events';
import {
  encryptLog,
  isLegacyReservationStreamId,
  legacyReservationStreamId,
  masterKeyFromEnv,
  personalDataEventStore,
  ReservationIds,
  SqliteDataKeyStore,
} from '@gram/personal-data';
import { describe, expect, it } from 'vitest';
import { IdentityHarness, newSignup } from '../testing/identity-harness.js';

/** The data keys a harness keeps under its data directory (personalDataKeysFromEnv), as a store one can close. */
const keysIn = (dataDir: string) =>
  new SqliteDataKeyStore({ path: join(dataDir, 'keys.sqlite'), masterKey: masterKeyFromEnv({}, dataDir) });

/**
 * Appends what `from` reads after `position` to `to`, same ids and revisions, same streams but those `renamed`;
 * the last position.
 */
async function copy(
  from: EventStore,
  to: EventStore,
  position: number,
  renamed: ReadonlyMap<string, string>,
): Promise<number> {
  let last = position;
  for (const event of await from.readAll({ after: position })) {
    await to.appendToStream(
      renamed.get(event.streamId) ?? event.streamId,
      [{ id: event.id, type: event.type, data: event.data, metadata: event.metadata }],
      { expectedRevision: event.revision === 0 ? 'no_stream' : event.revision - 1 },
    );
    last = event.position;
  }
  return last;
}

describe('a log written before encryption, migrated by encryptLog', () => {
  it("lets the accounts log in with their passwords, and not an account deleted before the migration; the live account's values stay taken, under keyed reservation ids, the deleted one's are free", async () => {
    // The log as identity wrote it before encryption: what a live identity writes, read back decrypted, its
    // reservation streams under their legacy ids (the plain SHA-256 of each value).
    const live = await IdentityHarness.start();
    const kept = await live.account();
    const gone = await live.account();
    const sourceDir = await mkdtemp(join(tmpdir(), 'gram-plaintext-log-'));
    const source = openSqliteEventStore({ path: join(sourceDir, 'events.sqlite') });
    const liveKeys = keysIn(live.dataDir);
    const readable = personalDataEventStore(live.store, liveKeys, personalFields);
    const ids = await ReservationIds.of(liveKeys);
    const legacyIds = new Map(
      [kept, gone].flatMap(({ body }) =>
        (['userName', 'email', 'phoneNo'] as const).map((kind) => [
          ids.streamId(kind, body[kind]),
          legacyReservationStreamId(kind, body[kind]),
        ]),
      ),
    );
    // Copied before the deletion, which destroys the key the credentials are read with.
    const position = await copy(readable, source, 0, legacyIds);
    expect((await live.deleteMe(gone.accessToken)).statusCode).toBe(204);
    await copy(readable, source, position, legacyIds);
    liveKeys.close();
    await live.stop();

    const targetDir = await mkdtemp(join(tmpdir(), 'gram-encrypted-log-'));
    const target = openSqliteEventStore({ path: join(targetDir, 'events.sqlite') });
    const keys = keysIn(targetDir);
    const result = await encryptLog({ source, target, keys });
    const [credentials] = (await target.readStream(`user-${kept.userId}`)).filter(
      (event) => event.type === 'AccountCredentialsSet',
    );
    const streams = (await target.readAll()).map((event) => event.streamId);
    await Promise.all([source.close(), target.close()]);
    keys.close();

    const identity = await IdentityHarness.start({ dataDir: targetDir });
    try {
      expect(result).toMatchObject({
        fieldsEncrypted: 7,
        accountsForgotten: 1,
        reservationsRekeyed: 3,
        reservationsDropped: 3,
      });
      expect(streams.filter(isLegacyReservationStreamId)).toEqual([]);
      expect(credentials?.data).toMatchObject({ passwordHash: expect.stringMatching(/^pd1\./) });
      const { password } = kept.body;
      expect((await identity.login(kept.body.userName, password)).json().user.id).toBe(kept.userId);
      expect((await identity.login(kept.body.email, password)).statusCode).toBe(200);
      expect((await identity.login(gone.body.userName, gone.body.password)).statusCode).toBe(401);
      // The kept account's values are still taken under their keyed ids; the deleted one's are free.
      const taken = await identity.signup(newSignup({ email: kept.body.email }));
      expect(taken.json()).toMatchObject({ code: 'taken', errors: [{ field: 'email' }] });
      expect((await identity.signup(newSignup({ email: gone.body.email }))).statusCode).toBe(201);
    } finally {
      await identity.stop();
      await rm(targetDir, { recursive: true, force: true });
      await rm(sourceDir, { recursive: true, force: true });
    }
  });
});
