import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type EventStore, openSqliteEventStore, type RecordedEvent } from '@gram/event-store';
import { personalFields } from '@gram/events';
import { afterAll, describe, expect, it } from 'vitest';
import { eventStoreBytes } from '../test/files.js';
import { encryptLog } from './encrypt-log.js';
import { masterKeyFromEnv } from './from-env.js';
import { generateMasterKey, LocalMasterKey } from './master-key.js';
import { forgotten, personalDataEventStore } from './personal-event-store.js';
import {
  isLegacyReservationStreamId,
  legacyReservationStreamId,
  ReservationIds,
  type UniqueKind,
} from './reservation-ids.js';
import { SqliteDataKeyStore } from './sqlite-data-key-store.js';

const root = mkdtempSync(join(tmpdir(), 'gram-encrypt-log-'));
const masterKey = LocalMasterKey.fromBase64(generateMasterKey());
const closers: (() => unknown)[] = [];

afterAll(async () => {
  for (const close of closers.splice(0)) await close();
  rmSync(root, { recursive: true, force: true });
});

function openDir(dir = join(root, randomUUID())) {
  mkdirSync(dir, { recursive: true });
  const store = openSqliteEventStore({ path: join(dir, 'events.sqlite') });
  closers.push(() => store.close());
  return { dir, store };
}

function openKeys(dir: string) {
  const keys = new SqliteDataKeyStore({ path: join(dir, 'keys.sqlite'), masterKey });
  closers.push(() => keys.close());
  return keys;
}

/** Contact data and a password hash as identity wrote them before encryption: sentinels easy to find. */
function credentials(userId: string) {
  const tag = randomUUID().slice(0, 8);
  return {
    userId,
    email: `sentinel-${tag}@mail.example`,
    phoneNo: `+1555${tag.replace(/[^0-9]/g, '7').slice(0, 7)}`,
    passwordHash: `scrypt$N=16384$salt-${tag}$hash-${tag}`,
    setAt: '2026-12-06T10:00:00.000Z',
  };
}

type Credentials = ReturnType<typeof credentials>;

const registered = (userId: string) => ({
  type: 'UserRegistered',
  data: {
    userId,
    userName: `user_${userId.slice(0, 8)}`,
    name: 'A name',
    bio: '',
    profilePic: 'https://static.gram.example/default-profile.png',
    registeredAt: '2026-12-06T10:00:00.000Z',
  },
  metadata: { requestId: randomUUID() },
});

/**
 * A log as identity and content wrote it before encryption: two accounts with their credentials in plaintext,
 * one of which changes them later and publishes a post, the other deleted. `withReservations`: with the
 * reservation streams identity wrote beside them, under legacy ids (the plain SHA-256 of each value), and the
 * claim of a signup that died before registering.
 */
async function plaintextLog(store: EventStore, { withReservations = false } = {}) {
  const [live, deleted] = [randomUUID(), randomUUID()];
  const liveCredentials = [credentials(live), credentials(live)];
  const deletedCredentials = credentials(deleted);
  const append = (streamId: string, events: object[]) =>
    store.appendToStream(streamId, events as never, { expectedRevision: 'any' });
  /** the values the live account claimed, and the legacy reservation streams the migration drops */
  const liveValues: [UniqueKind, string][] = [];
  const droppedStreams: string[] = [];
  /** Claims (or gives up) the values under their legacy reservation ids, as identity did. */
  const reservations = async (
    userId: string,
    values: Partial<Record<UniqueKind, string>>,
    type = 'UniqueValueReserved',
  ) => {
    if (!withReservations) return [];
    const claimed = Object.entries(values) as [UniqueKind, string][];
    for (const [kind, value] of claimed) {
      const at = type === 'UniqueValueReserved' ? 'reservedAt' : 'releasedAt';
      await append(legacyReservationStreamId(kind, value), [
        { type, data: { kind, userId, [at]: '2026-12-06T10:00:00.000Z' } },
      ]);
    }
    return claimed;
  };
  const contactOf = ({ email, phoneNo }: { email: string; phoneNo: string }) => ({ email, phoneNo });
  const valuesOf = (userId: string, contact: { email: string; phoneNo: string }) => ({
    userName: registered(userId).data.userName,
    ...contactOf(contact),
  });

  liveValues.push(...(await reservations(live, valuesOf(live, liveCredentials[0] as Credentials))));
  await append(`user-${live}`, [
    registered(live),
    { type: 'AccountCredentialsSet', data: liveCredentials[0] },
  ]);
  for (const [kind, value] of await reservations(deleted, valuesOf(deleted, deletedCredentials))) {
    droppedStreams.push(legacyReservationStreamId(kind, value));
  }
  await append(`user-${deleted}`, [
    registered(deleted),
    { type: 'AccountCredentialsSet', data: deletedCredentials },
  ]);
  // A signup that died before registering: its account never existed.
  if ((await reservations(randomUUID(), { email: 'died-midway@mail.example' })).length > 0) {
    droppedStreams.push(legacyReservationStreamId('email', 'died-midway@mail.example'));
  }
  const postId = randomUUID();
  await append(`post-${postId}`, [
    {
      type: 'PostCreated',
      data: {
        postId,
        authorId: live,
        photo: 'https://media.gram.example/p.jpg',
        caption: 'hello',
        createdAt: '2026-12-06T10:01:00.000Z',
      },
    },
  ]);
  liveValues.push(...(await reservations(live, contactOf(liveCredentials[1] as Credentials))));
  await append(`user-${live}`, [{ type: 'AccountCredentialsSet', data: liveCredentials[1] }]);
  await reservations(live, contactOf(liveCredentials[0] as Credentials), 'UniqueValueReleased');
  await append(`user-${deleted}`, [
    { type: 'UserDeleted', data: { userId: deleted, deletedAt: '2026-12-06T10:02:00.000Z' } },
  ]);
  await reservations(deleted, valuesOf(deleted, deletedCredentials), 'UniqueValueReleased');
  const sentinels = [...liveCredentials, deletedCredentials].flatMap((c) => [
    c.email,
    c.phoneNo,
    c.passwordHash,
  ]);
  return { live, deleted, liveCredentials, deletedCredentials, sentinels, liveValues, droppedStreams };
}

/** What the migration keeps of each event: all but the personal fields' values and the recording time. */
const shape = (events: RecordedEvent[]) =>
  events.map(({ id, streamId, type, revision, metadata }) => ({ id, streamId, type, revision, metadata }));

describe('encryptLog, the migration of a log written before encryption', () => {
  it("copies every event in order with its id, type, metadata and revision, the live account's fields encrypted, the deleted account's forgotten and its key destroyed", async () => {
    const source = openDir();
    const log = await plaintextLog(source.store);
    const target = openDir();
    const keys = openKeys(target.dir);

    const result = await encryptLog({ source: source.store, target: target.store, keys });

    const copied = await target.store.readAll();
    expect(shape(copied)).toEqual(shape(await source.store.readAll()));
    expect(result).toEqual({
      resumedAfter: 0,
      copied: 7,
      fieldsEncrypted: 11,
      accountsForgotten: 1,
      reservationsRekeyed: 0,
      reservationsDropped: 0,
    });

    const credentialsOf = (userId: string, events: RecordedEvent[]) =>
      events
        .filter((e) => e.type === 'AccountCredentialsSet' && e.streamId === `user-${userId}`)
        .map((e) => e.data);
    for (const data of credentialsOf(log.live, copied)) {
      expect(data).toMatchObject({
        email: expect.stringMatching(/^pd1\./),
        passwordHash: expect.stringMatching(/^pd1\./),
      });
    }
    const decrypted = await personalDataEventStore(target.store, keys, personalFields).readAll();
    expect(credentialsOf(log.live, decrypted)).toEqual(log.liveCredentials);
    expect(credentialsOf(log.deleted, copied)).toEqual([
      { ...log.deletedCredentials, email: forgotten, phoneNo: forgotten, passwordHash: forgotten },
    ]);
    expect(await keys.get(log.deleted)).toEqual({ state: 'destroyed' });

    const bytes = eventStoreBytes(target.dir);
    for (const sentinel of log.sentinels) expect(bytes).not.toContain(sentinel);
  });

  it('copies values already encrypted as they are, and forgets an account whose key was destroyed though the log never says it was deleted', async () => {
    const source = openDir();
    const keys = openKeys(source.dir);
    const log = await plaintextLog(source.store);
    // Written since encryption existed: the same keys, encrypted on the way in.
    const recent = randomUUID();
    await personalDataEventStore(source.store, keys, personalFields).appendToStream(
      `user-${recent}`,
      [registered(recent), { type: 'AccountCredentialsSet', data: credentials(recent) }],
      { expectedRevision: 'no_stream' },
    );
    // Its key destroyed by a deletion that stopped before appending its UserDeleted.
    await keys.create(log.live);
    await keys.destroy(log.live);
    const target = openDir();

    const result = await encryptLog({ source: source.store, target: target.store, keys });

    const [sourceEvents, copied] = [await source.store.readAll(), await target.store.readAll()];
    expect(copied.at(-1)?.data).toEqual(sourceEvents.at(-1)?.data);
    for (const userId of [log.live, log.deleted]) {
      for (const event of copied.filter(
        (e) => e.type === 'AccountCredentialsSet' && e.streamId === `user-${userId}`,
      )) {
        expect(event.data).toMatchObject({ email: forgotten, phoneNo: forgotten, passwordHash: forgotten });
      }
    }
    expect(result).toMatchObject({ fieldsEncrypted: 0, accountsForgotten: 2 });
    const bytes = eventStoreBytes(target.dir);
    for (const sentinel of log.sentinels) expect(bytes).not.toContain(sentinel);
  });

  it('gives each legacy reservation stream of a live account its keyed id, events and revisions unchanged, and drops those of a deleted account and of a signup that never registered', async () => {
    const source = openDir();
    const log = await plaintextLog(source.store, { withReservations: true });
    const target = openDir();
    const keys = openKeys(target.dir);

    const result = await encryptLog({ source: source.store, target: target.store, keys });

    const ids = await ReservationIds.of(keys);
    const keyedOf = new Map(
      log.liveValues.map(([kind, value]) => [
        legacyReservationStreamId(kind, value),
        ids.streamId(kind, value),
      ]),
    );
    const expected = (await source.store.readAll())
      .filter((event) => !log.droppedStreams.includes(event.streamId))
      .map((event) => ({ ...event, streamId: keyedOf.get(event.streamId) ?? event.streamId }));
    const copied = await target.store.readAll();
    expect(shape(copied)).toEqual(shape(expected));
    expect(copied.map((e) => e.data)).toEqual(
      expected.map((e) => (e.streamId.startsWith('reservation-') ? e.data : expect.anything())),
    );
    expect(copied.filter((e) => isLegacyReservationStreamId(e.streamId))).toEqual([]);
    expect(copied.filter((e) => e.streamId.startsWith('reservation-'))).toHaveLength(7);
    expect(result).toMatchObject({ reservationsRekeyed: 5, reservationsDropped: 4, accountsForgotten: 1 });
  });

  it('drops a legacy reservation stream whose value was claimed again under its keyed id, keeping the keyed one', async () => {
    const source = openDir();
    const log = await plaintextLog(source.store, { withReservations: true });
    const target = openDir();
    const keys = openKeys(target.dir);
    // Since ids are keyed, a new account took the deleted account's email (released under its legacy id).
    const successor = randomUUID();
    const keyed = (await ReservationIds.of(keys)).streamId('email', log.deletedCredentials.email);
    await source.store.appendToStream(
      keyed,
      [
        {
          type: 'UniqueValueReserved',
          data: { kind: 'email', userId: successor, reservedAt: '2026-12-07T10:00:00.000Z' },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    await source.store.appendToStream(
      `user-${successor}`,
      [
        registered(successor),
        {
          type: 'AccountCredentialsSet',
          data: { ...credentials(successor), email: log.deletedCredentials.email },
        },
      ],
      { expectedRevision: 'no_stream' },
    );

    const result = await encryptLog({ source: source.store, target: target.store, keys });

    const legacy = legacyReservationStreamId('email', log.deletedCredentials.email);
    const copied = await target.store.readAll();
    expect(copied.filter((e) => e.streamId === legacy)).toEqual([]);
    expect(shape(await target.store.readStream(keyed))).toEqual(shape(await source.store.readStream(keyed)));
    expect(result).toMatchObject({ reservationsRekeyed: 5, reservationsDropped: 4 });
  });

  it('fails before writing anything, naming the stream, when a live account holds a legacy reservation whose value no event names', async () => {
    const source = openDir();
    const log = await plaintextLog(source.store);
    const unknown = legacyReservationStreamId('email', 'named-nowhere@mail.example');
    await source.store.appendToStream(
      unknown,
      [
        {
          type: 'UniqueValueReserved',
          data: { kind: 'email', userId: log.live, reservedAt: '2026-12-06T10:00:00.000Z' },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    const target = openDir();

    await expect(
      encryptLog({ source: source.store, target: target.store, keys: openKeys(target.dir) }),
    ).rejects.toThrow(
      `the reservation stream ${unknown} (a legacy id) is still held by the live account ${log.live}`,
    );
    expect(await target.store.readAll()).toEqual([]);
  });

  it('continues a migration that stopped part-way through, ending with the target an uninterrupted run writes', async () => {
    const source = openDir();
    // With reservations: the target holds the source's events as migrated, some renamed, some left out.
    const log = await plaintextLog(source.store, { withReservations: true });
    const [interrupted, whole] = [openDir(), openDir()];
    const keys = openKeys(interrupted.dir);
    let pages = 0;
    const stop = () => {
      pages += 1;
      if (pages === 4) throw new Error('stopped');
    };

    await expect(
      encryptLog({ source: source.store, target: interrupted.store, keys, pageSize: 2, onProgress: stop }),
    ).rejects.toThrow('stopped');
    const copiedBeforeTheStop = (await interrupted.store.readAll()).length;
    expect(copiedBeforeTheStop).toBeGreaterThan(0);
    const resumed = await encryptLog({ source: source.store, target: interrupted.store, keys, pageSize: 2 });
    // The same keys, so that the reservation ids are keyed alike.
    const wholeRun = await encryptLog({ source: source.store, target: whole.store, keys });

    expect(resumed).toMatchObject({
      resumedAfter: copiedBeforeTheStop,
      copied: wholeRun.copied - copiedBeforeTheStop,
    });
    expect(shape(await interrupted.store.readAll())).toEqual(shape(await whole.store.readAll()));
    const decrypted = await personalDataEventStore(interrupted.store, keys, personalFields).readAll();
    const decryptedWhole = await personalDataEventStore(whole.store, keys, personalFields).readAll();
    expect(decrypted.map((e) => e.data)).toEqual(decryptedWhole.map((e) => e.data));
    expect(decrypted.filter((e) => e.streamId === `user-${log.live}`).map((e) => e.data)).toContainEqual(
      log.liveCredentials[1],
    );
    const bytes = eventStoreBytes(interrupted.dir);
    for (const sentinel of log.sentinels) expect(bytes).not.toContain(sentinel);
  });

  it('refuses a target holding events other than the ones a previous run copied', async () => {
    const source = openDir();
    await plaintextLog(source.store);
    const target = openDir();
    await plaintextLog(target.store);

    await expect(
      encryptLog({ source: source.store, target: target.store, keys: openKeys(target.dir) }),
    ).rejects.toThrow(/the target must be empty, or hold what a previous run of this migration copied/);
  });

  it('fails, naming the stream, when the target stream moved on from the revision the source had there', async () => {
    const source = openDir();
    const log = await plaintextLog(source.store);
    const target = openDir();
    let intruded = false;

    await expect(
      encryptLog({
        source: source.store,
        target: target.store,
        keys: openKeys(target.dir),
        pageSize: 2,
        // Something else writes to the target while the migration runs.
        onProgress: async () => {
          if (intruded) return;
          intruded = true;
          await target.store.appendToStream(`user-${log.live}`, [registered(log.live)], {
            expectedRevision: 'any',
          });
        },
      }),
    ).rejects.toThrow(`stream user-${log.live}`);
  });
});

const packageDir = resolve(fileURLToPath(import.meta.url), '../..');

/** Runs the CLI as an operator's shell would, without pnpm's INIT_CWD of the test run. */
async function cli(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const { INIT_CWD: _, ...inherited } = process.env;
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src/cli/encrypt-log.ts'],
      { cwd: packageDir, env: { ...inherited, ...env }, timeout: 120_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('the encrypt-log command', () => {
  it("migrates DATA_DIR's log into TARGET_DATA_DIR with the keys under DATA_DIR, prints a summary, and refuses a target holding another log", async () => {
    const source = openDir();
    const log = await plaintextLog(source.store, { withReservations: true });
    await source.store.close();
    const target = join(root, randomUUID());

    const run = await cli({ DATA_DIR: source.dir, TARGET_DATA_DIR: target });

    expect(run.stdout).toContain(
      'encrypt-log: 14 events copied (0 already in the target), 11 personal fields encrypted, 1 accounts forgotten, ' +
        '5 legacy reservation streams given keyed ids, 4 dropped',
    );
    expect(run.code).toBe(0);
    const migrated = openDir(target);
    const keys = new SqliteDataKeyStore({
      path: join(source.dir, 'keys.sqlite'),
      masterKey: masterKeyFromEnv({}, source.dir),
    });
    closers.push(() => keys.close());
    const decrypted = await personalDataEventStore(migrated.store, keys, personalFields).readAll();
    expect(decrypted.filter((e) => e.type === 'AccountCredentialsSet').map((e) => e.data)).toEqual([
      log.liveCredentials[0],
      { ...log.deletedCredentials, email: forgotten, phoneNo: forgotten, passwordHash: forgotten },
      log.liveCredentials[1],
    ]);
    expect(decrypted.filter((e) => isLegacyReservationStreamId(e.streamId))).toEqual([]);
    const ids = await ReservationIds.of(keys);
    const [kind, value] = log.liveValues[0] as [UniqueKind, string];
    expect(await migrated.store.readStream(ids.streamId(kind, value))).toHaveLength(1);
    await migrated.store.close();
    const bytes = eventStoreBytes(target);
    for (const sentinel of log.sentinels) expect(bytes).not.toContain(sentinel);

    const other = openDir();
    await plaintextLog(other.store);
    await other.store.close();
    const refused = await cli({ DATA_DIR: other.dir, TARGET_DATA_DIR: target });
    expect(refused.stderr).toContain(
      'the target must be empty, or hold what a previous run of this migration copied',
    );
    expect(refused.code).toBe(1);
  });
});
