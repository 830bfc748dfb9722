import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventStore, openSqliteEventStore } from '@gram/event-store';
import { streamIds } from '@gram/events';
import {
  type DataKeyStore,
  generateMasterKey,
  isLegacyReservationStreamId,
  LocalMasterKey,
  legacyReservationStreamId,
  masterKeyFromEnv,
  RedisDataKeyStore,
  ReservationIds,
  SqliteDataKeyStore,
} from '@gram/personal-data';
import { isDomainError, newId } from '@gram/service-kit';
import { injectServer } from '@gram/test-servers/inject';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createIdentityContext } from '../context.js';
import { KeyStore } from '../keys/key-store.js';
import { IdentityHarness, newSignup, type SignupBody } from '../testing/identity-harness.js';
import type { UniqueKind } from './reservation.js';

const redisUrl = injectServer('redisUrl');
const root = mkdtempSync(join(tmpdir(), 'gram-reservations-'));
const closers: (() => unknown)[] = [];
afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  rmSync(root, { recursive: true, force: true });
});

const kinds: readonly UniqueKind[] = ['userName', 'email', 'phoneNo'];

/** The data keys a harness keeps under its data directory, opened beside it as another replica would. */
function keysIn(dataDir: string): SqliteDataKeyStore {
  const keys = new SqliteDataKeyStore({
    path: join(dataDir, 'keys.sqlite'),
    masterKey: masterKeyFromEnv({}, dataDir),
  });
  closers.push(() => keys.close());
  return keys;
}

async function reservationStreams(store: EventStore): Promise<string[]> {
  const streams = (await store.readAll())
    .map((e) => e.streamId)
    .filter((id) => id.startsWith('reservation-'));
  return [...new Set(streams)];
}

describe('reservation stream ids', () => {
  it("key a signup's reservations with the secret in identity's data key store, never a plain hash of the value", async () => {
    const identity = await IdentityHarness.start();
    closers.push(() => identity.stop());
    const body = newSignup();
    expect((await identity.signup(body)).statusCode).toBe(201);

    const ids = await ReservationIds.of(keysIn(identity.dataDir));
    const expected = kinds.map((kind) => ids.streamId(kind, body[kind]));
    expect((await reservationStreams(identity.store)).sort()).toEqual(expected.sort());
    for (const kind of kinds) {
      expect(await reservationStreams(identity.store)).not.toContain(
        legacyReservationStreamId(kind, body[kind]),
      );
    }
  });

  /** Two identity replicas: one event store, and each its own client of one shared data key store. */
  const sharedKeyStores: [string, () => () => DataKeyStore][] = [
    [
      'SQLite',
      () => {
        const path = join(root, `${newId()}.keys.sqlite`);
        const masterKey = LocalMasterKey.fromBase64(generateMasterKey());
        return () => {
          const store = new SqliteDataKeyStore({ path, masterKey });
          closers.push(() => store.close());
          return store;
        };
      },
    ],
  ];
  if (redisUrl !== undefined) {
    sharedKeyStores.push([
      'Redis',
      () => {
        const masterKey = LocalMasterKey.fromBase64(generateMasterKey());
        // Every test has its own keys: the Redis server is shared by the whole run.
        const keyPrefix = `test-${newId()}:`;
        return () => {
          const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
          closers.push(() => redis.disconnect());
          return new RedisDataKeyStore({ redis, masterKey, keyPrefix });
        };
      },
    ]);
  }

  it.each(sharedKeyStores)(
    'are the same for two identity replicas sharing one key store (%s): of their racing claims on one email, one wins',
    async (_name, sharedKeyStore) => {
      const openKeyStore = sharedKeyStore();
      const [oneKeys, otherKeys] = [openKeyStore(), openKeyStore()];
      const store = openSqliteEventStore({ path: join(root, `${newId()}.events.sqlite`) });
      closers.push(() => store.close());
      const one = createIdentityContext({ store, keys: await KeyStore.generate(), dataKeys: oneKeys });
      const other = createIdentityContext({ store, keys: await KeyStore.generate(), dataKeys: otherKeys });
      const email = { kind: 'email', value: 'shared@example.com' } as const;
      const at = new Date().toISOString();

      const claims = await Promise.all([
        one.uniqueValues.reserve(email, newId(), at),
        other.uniqueValues.reserve(email, newId(), at),
      ]);

      expect(claims.filter((claim) => isDomainError(claim))).toHaveLength(1);
      const ids = await ReservationIds.of(oneKeys);
      expect(await reservationStreams(store)).toEqual([ids.streamId('email', email.value)]);
    },
  );
});

/**
 * Identity with a log written before reservation ids were keyed: the accounts signed up, then every reservation
 * stream of the log moved to its legacy id (the plain SHA-256 of its value), the rest as it was.
 */
async function identityWithLegacyIds(bodies: SignupBody[]) {
  const before = await IdentityHarness.start();
  const accounts = [];
  for (const body of bodies) accounts.push(await before.account(body));
  const ids = await ReservationIds.of(keysIn(before.dataDir));
  const legacyOf = new Map(
    bodies.flatMap((body) =>
      kinds.map((kind) => [ids.streamId(kind, body[kind]), legacyReservationStreamId(kind, body[kind])]),
    ),
  );
  const events = await before.store.readAll();
  await before.stop({ keepData: true });

  const dataDir = join(root, newId());
  cpSync(before.dataDir, dataDir, { recursive: true });
  rmSync(before.dataDir, { recursive: true, force: true });
  for (const file of ['events.sqlite', 'events.sqlite-wal', 'events.sqlite-shm']) {
    rmSync(join(dataDir, file), { force: true });
  }
  const legacy = openSqliteEventStore({ path: join(dataDir, 'events.sqlite') });
  for (const event of events) {
    await legacy.appendToStream(
      legacyOf.get(event.streamId) ?? event.streamId,
      [{ id: event.id, type: event.type, data: event.data, metadata: event.metadata }],
      { expectedRevision: event.revision === 0 ? 'no_stream' : event.revision - 1 },
    );
  }
  await legacy.close();
  const identity = await IdentityHarness.start({ dataDir });
  closers.push(() => identity.stop());
  expect((await reservationStreams(identity.store)).every(isLegacyReservationStreamId)).toBe(true);
  return { identity, accounts, ids };
}

describe('a value claimed under its legacy reservation stream id, before ids were keyed', () => {
  it('is taken: a signup with it answers 409 taken, and a login with it finds its account', async () => {
    const body = newSignup();
    const { identity, accounts } = await identityWithLegacyIds([body]);

    const again = await identity.signup(newSignup({ email: body.email.toUpperCase() }));
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'taken', errors: [{ field: 'email' }] });
    const login = await identity.login(body.phoneNo, body.password);
    expect(login.json().user.id).toBe(accounts[0]?.userId);
  });

  it("is given back by its account's deletion, under the legacy id, then claimed under the keyed id", async () => {
    const body = newSignup();
    const { identity, accounts, ids } = await identityWithLegacyIds([body]);

    expect((await identity.deleteMe(accounts[0]?.accessToken)).statusCode).toBe(204);
    const legacyEmail = await identity.store.readStream(legacyReservationStreamId('email', body.email));
    expect(legacyEmail.at(-1)).toMatchObject({ type: 'UniqueValueReleased' });

    const successor = await identity.signup(newSignup({ ...body, name: 'Successor' }));
    expect(successor.statusCode).toBe(201);
    const keyedEmail = await identity.store.readStream(ids.streamId('email', body.email));
    expect(keyedEmail.map((e) => e.data)).toEqual([
      expect.objectContaining({ userId: successor.json().user.id }),
    ]);
    expect((await identity.signup(newSignup({ email: body.email }))).statusCode).toBe(409);
  });

  it('is taken over from a deleted account whose release was lost: released under the legacy id on its behalf, claimed under the keyed one', async () => {
    const body = newSignup();
    const { identity, accounts, ids } = await identityWithLegacyIds([body]);
    const userId = accounts[0]?.userId as string;
    // The deletion's decisive write alone, as if the process died before releasing anything.
    await identity.store.appendToStream(
      streamIds.user(userId),
      [
        {
          type: 'UserDeleted',
          data: { userId, deletedAt: new Date().toISOString() },
          metadata: { schemaVersion: 1 },
        },
      ],
      { expectedRevision: 1 },
    );

    const successor = await identity.signup(newSignup({ userName: body.userName }));

    expect(successor.statusCode).toBe(201);
    const legacy = await identity.store.readStream(legacyReservationStreamId('userName', body.userName));
    expect(legacy.at(-1)).toMatchObject({ type: 'UniqueValueReleased', data: { userId } });
    const keyed = await identity.store.readStream(ids.streamId('userName', body.userName));
    expect(keyed.map((e) => e.data)).toEqual([expect.objectContaining({ userId: successor.json().user.id })]);
  });
});
