import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventStore, openSqliteEventStore } from '@gram/event-store';
import { personalFields } from '@gram/events';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { eventStoreBytes } from '../test/files.js';
import { AccountKeyDestroyed, type DataKeyState, KeyStoreUnavailable } from './data-key-store.js';
import { DataKeys } from './data-keys.js';
import { generateMasterKey, LocalMasterKey } from './master-key.js';
import {
  forgotten,
  type PersonalDataKeys,
  personalDataEventStore,
  readOnlyKeys,
} from './personal-event-store.js';
import { RedisDataKeyStore } from './redis-data-key-store.js';
import { SqliteDataKeyStore } from './sqlite-data-key-store.js';

const root = mkdtempSync(join(tmpdir(), 'gram-personal-events-'));
const masterKey = LocalMasterKey.fromBase64(generateMasterKey());
const closers: (() => unknown)[] = [];

afterAll(async () => {
  for (const close of closers.splice(0)) await close();
  rmSync(root, { recursive: true, force: true });
});

function open() {
  const dir = join(root, randomUUID());
  const raw = openSqliteEventStore({ path: join(dir, 'events.sqlite') });
  const keys = new SqliteDataKeyStore({ path: join(dir, 'keys.sqlite'), masterKey });
  closers.push(
    () => raw.close(),
    () => keys.close(),
  );
  return { dir, raw, keys, store: personalDataEventStore(raw, keys, personalFields) };
}

/** What identity appends at a signup: the account's contact data and password hash, sentinels easy to find. */
function credentials(userId: string) {
  const tag = randomUUID().slice(0, 8);
  return {
    userId,
    email: `sentinel-${tag}@mail.example`,
    phoneNo: `+1555${tag
      .replace(/[^0-9]/g, '7')
      .padEnd(7, '7')
      .slice(0, 7)}`,
    passwordHash: `scrypt$N=16384$salt-${tag}$hash-${tag}`,
    setAt: '2026-12-06T10:00:00.000Z',
  };
}

describe('an event store keeping personal fields encrypted under their account key', () => {
  it('stores the personal fields of an event only encrypted, and reads them back decrypted', async () => {
    const { dir, raw, store } = open();
    const userId = randomUUID();
    const data = credentials(userId);
    await store.appendToStream(`user-${userId}`, [{ type: 'AccountCredentialsSet', data }], {
      expectedRevision: 'any',
    });

    const [stored] = await raw.readStream(`user-${userId}`);
    const storedData = stored?.data as Record<string, string>;
    for (const field of ['email', 'phoneNo', 'passwordHash'] as const) {
      expect(storedData[field]).toMatch(/^pd1\./);
      expect(eventStoreBytes(dir)).not.toContain(data[field]);
    }
    expect(storedData.userId).toBe(userId);
    expect((await store.readStream(`user-${userId}`))[0]?.data).toEqual(data);
    expect((await store.readAll()).at(-1)?.data).toEqual(data);
    expect((await store.readAllForReplay()).at(-1)?.data).toEqual(data);
  });

  it("reads an account's personal fields as forgotten once its key is destroyed, its events still there in order", async () => {
    const { store, keys } = open();
    const [gone, kept] = [randomUUID(), randomUUID()];
    for (const userId of [gone, kept]) {
      await store.appendToStream(
        `user-${userId}`,
        [
          { type: 'UserDeleted', data: { userId, deletedAt: '2026-12-06T10:00:00.000Z' } },
          { type: 'AccountCredentialsSet', data: credentials(userId) },
        ],
        { expectedRevision: 'any' },
      );
    }
    const keptData = (await store.readStream(`user-${kept}`))[1]?.data;

    await keys.destroy(gone);

    const events = await store.readStream(`user-${gone}`);
    expect(events.map((event) => event.type)).toEqual(['UserDeleted', 'AccountCredentialsSet']);
    expect(events[1]?.data).toMatchObject({
      userId: gone,
      email: forgotten,
      phoneNo: forgotten,
      passwordHash: forgotten,
    });
    expect((await store.readStream(`user-${kept}`))[1]?.data).toEqual(keptData);
  });

  it('reads a personal field stored before encryption existed (plaintext) as it is', async () => {
    const { raw, store } = open();
    const userId = randomUUID();
    const data = credentials(userId);
    await raw.appendToStream(`user-${userId}`, [{ type: 'AccountCredentialsSet', data }], {
      expectedRevision: 'any',
    });
    expect((await store.readStream(`user-${userId}`))[0]?.data).toEqual(data);
  });

  it('fails a read while the key store is down, rather than answering forgotten', async () => {
    const { raw, keys } = open();
    const userId = randomUUID();
    await personalDataEventStore(raw, keys, personalFields).appendToStream(
      `user-${userId}`,
      [{ type: 'AccountCredentialsSet', data: credentials(userId) }],
      { expectedRevision: 'any' },
    );
    // A Redis key store on a port where nothing listens: every call is an outage.
    const redis = new Redis('redis://127.0.0.1:1', {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
      lazyConnect: true,
    });
    redis.on('error', () => {});
    closers.push(() => redis.disconnect());
    const down = personalDataEventStore(raw, new RedisDataKeyStore({ redis, masterKey }), personalFields);
    await expect(down.readStream(`user-${userId}`)).rejects.toBeInstanceOf(KeyStoreUnavailable);
  });

  it('asks for the key of each account once per append, however many of its events carry personal fields', async () => {
    const { raw, keys } = open();
    const asked = { create: 0, get: 0 };
    const counting: PersonalDataKeys = {
      create: (accountId) => {
        asked.create++;
        return keys.create(accountId);
      },
      get: (accountId) => {
        asked.get++;
        return keys.get(accountId);
      },
    };
    const store = personalDataEventStore(raw, counting, personalFields);
    const userId = randomUUID();
    await store.appendToStream(
      `user-${userId}`,
      [
        { type: 'AccountCredentialsSet', data: credentials(userId) },
        { type: 'AccountCredentialsSet', data: credentials(userId) },
        { type: 'UserDeleted', data: { userId, deletedAt: '2026-12-06T10:00:00.000Z' } },
      ],
      { expectedRevision: 'any' },
    );
    expect(asked).toEqual({ create: 1, get: 0 });
    await store.readStream(`user-${userId}`);
    expect(asked).toEqual({ create: 1, get: 1 });
  });

  it('writes and reads with a key kept in memory without asking the key store, and a destroyed one refuses the write', async () => {
    const { raw, keys } = open();
    const [live, gone] = [randomUUID(), randomUUID()];
    for (const userId of [live, gone]) {
      await personalDataEventStore(raw, keys, personalFields).appendToStream(
        `user-${userId}`,
        [{ type: 'AccountCredentialsSet', data: credentials(userId) }],
        { expectedRevision: 'any' },
      );
    }
    await keys.destroy(gone);
    let asked = 0;
    const dataKeys = new DataKeys((accountId) => {
      asked++;
      return keys.get(accountId);
    });
    const store = personalDataEventStore(raw, readOnlyKeys(dataKeys), personalFields);
    await store.readStream(`user-${live}`);
    await store.readStream(`user-${gone}`);
    expect(asked).toBe(2);

    const data = credentials(live);
    await store.appendToStream(`user-${live}`, [{ type: 'AccountCredentialsSet', data }], {
      expectedRevision: 'any',
    });
    expect((await store.readStream(`user-${live}`))[1]?.data).toEqual(data);
    expect((await store.readStream(`user-${gone}`))[0]?.data).toMatchObject({ email: forgotten });
    await expect(
      store.appendToStream(`user-${gone}`, [{ type: 'AccountCredentialsSet', data: credentials(gone) }], {
        expectedRevision: 'any',
      }),
    ).rejects.toBeInstanceOf(AccountKeyDestroyed);
    expect(asked).toBe(2);
  });

  it('encrypts the appends begun in one turn of the event loop together, after the turn, and fails only the append whose encryption fails', async () => {
    const { raw, keys } = open();
    const [first, second, broken] = [randomUUID(), randomUUID(), randomUUID()];
    for (const userId of [first, second]) await keys.create(userId);
    const appended: string[] = [];
    const recording = new Proxy(raw, {
      get(target, property) {
        if (property === 'appendToStream') {
          return (...args: Parameters<EventStore['appendToStream']>) => {
            appended.push(args[0]);
            return target.appendToStream(...args);
          };
        }
        const value = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    // Keys kept in memory, so no append waits for a lookup; the broken account's key has the wrong length.
    const liveKeys = new Map<string, DataKeyState>();
    for (const userId of [first, second]) liveKeys.set(userId, await keys.get(userId));
    const notAsked = () => Promise.reject(new Error('every key is kept'));
    const store = personalDataEventStore(
      recording,
      {
        create: notAsked,
        get: notAsked,
        kept: (accountId) =>
          accountId === broken ? { state: 'live', key: Buffer.alloc(16) } : liveKeys.get(accountId),
      },
      personalFields,
    );

    const appends = [first, broken, second].map((userId) =>
      store.appendToStream(`user-${userId}`, [{ type: 'AccountCredentialsSet', data: credentials(userId) }], {
        expectedRevision: 'any',
      }),
    );
    // However many promise jobs run meanwhile, nothing reaches the store within the turn the appends began in.
    for (let job = 0; job < 20; job++) await Promise.resolve();
    expect(appended).toEqual([]);

    expect(await Promise.allSettled(appends)).toMatchObject([
      { status: 'fulfilled' },
      { status: 'rejected', reason: expect.any(RangeError) },
      { status: 'fulfilled' },
    ]);
    expect(appended).toEqual([`user-${first}`, `user-${second}`]);
    expect((await raw.readStream(`user-${broken}`)).length).toBe(0);
  });
});
