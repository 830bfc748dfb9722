/**
 * An event store that keeps the personal fields of events encrypted under their account's data key: appended
 * encrypted, read decrypted. What a service writes and folds stays plaintext; what the event store holds (and
 * every copy of it: its files, backups, a relay reading the raw log) is ciphertext, which the account's
 * deletion, by destroying the key, makes unreadable for good.
 *
 * Which fields are personal, and which field of the event names their account, is the catalogue's word
 * (`personal` of each event definition): a service wraps its store with the events it owns.
 *
 * Reading an account's events once its key is destroyed answers `forgotten` in place of each personal field
 * (the event and its order stay, so folds and rebuilds still run). A key that cannot be had (the store is down,
 * or no key was ever made for an encrypted value) is an error, never `forgotten`: the read fails and is
 * retried, and nothing is folded from a placeholder. A value written before encryption existed (plaintext) is
 * read as it is, so a log written before this change stays readable until migrated.
 */
import type {
  AppendResult,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  ReplayedEvent,
  SubscribeOptions,
  Subscription,
} from '@gram/event-store';
import type { PersonalFields } from '@gram/events';
import { AccountKeyDestroyed, type DataKeyState, type DataKeyStore } from './data-key-store.js';
import type { DataKeys } from './data-keys.js';
import { decryptField, encryptField, isEncryptedField } from './field-cipher.js';

/** What a personal field reads as once its account's key is destroyed. */
export const forgotten = '';

type Payload = Record<string, unknown>;

/** The personal fields of an event's payload and the account they belong to, when it has any to encrypt or decrypt. */
interface Owned {
  spec: PersonalFields;
  accountId: string;
  data: Payload;
}

function ownerOf(
  type: string,
  data: unknown,
  personal: Readonly<Record<string, PersonalFields>>,
): Owned | undefined {
  const spec = personal[type];
  if (!spec || typeof data !== 'object' || data === null) return undefined;
  const accountId = (data as Payload)[spec.owner];
  if (typeof accountId !== 'string') throw new Error(`${type} names no account in its field ${spec.owner}`);
  return { spec, accountId, data: data as Payload };
}

/** The owner of the event's encrypted personal fields; undefined when it has none (no personal field, or plaintext). */
function encryptedOwnerOf(
  type: string,
  data: unknown,
  personal: Readonly<Record<string, PersonalFields>>,
): Owned | undefined {
  const spec = personal[type];
  if (!spec || typeof data !== 'object' || data === null) return undefined;
  for (const field of spec.fields) {
    const value = (data as Payload)[field];
    if (typeof value === 'string' && isEncryptedField(value)) return ownerOf(type, data, personal);
  }
  return undefined;
}

/** Whether the payload `data` of an event of `type` has a personal field to decrypt (decryptPersonalFields). */
export function hasEncryptedFields(
  type: string,
  data: unknown,
  personal: Readonly<Record<string, PersonalFields>>,
): boolean {
  return encryptedOwnerOf(type, data, personal) !== undefined;
}

/** The payload with its encrypted personal fields read with the owner's key state: a copy, the source untouched. */
function decryptedPayload(type: string, { spec, accountId, data }: Owned, key: DataKeyState): Payload {
  const decrypted: Payload = { ...data };
  for (const field of spec.fields) {
    const value = data[field];
    if (typeof value !== 'string' || !isEncryptedField(value)) continue;
    decrypted[field] =
      key.state === 'destroyed'
        ? forgotten
        : decryptField(key.key, { accountId, eventType: type, field }, value);
  }
  return decrypted;
}

/**
 * The payload `data` of an event of `type` with its personal fields decrypted (the same object when it has
 * none to decrypt): `forgotten` where the owner's key is destroyed; a plaintext value (written before
 * encryption existed) as it is. `keyOf` throws when a key cannot be had (KeyUnknown, KeyStoreUnavailable):
 * the caller retries, it never reads a placeholder.
 */
export async function decryptPersonalFields(
  type: string,
  data: unknown,
  personal: Readonly<Record<string, PersonalFields>>,
  keyOf: (accountId: string) => Promise<DataKeyState>,
): Promise<unknown> {
  const owned = encryptedOwnerOf(type, data, personal);
  if (!owned) return data;
  return decryptedPayload(type, owned, await keyOf(owned.accountId));
}

/**
 * What the store needs of keys: a live key to encrypt with (`create`), any key's state to decrypt with, and
 * optionally (`kept`) the state known without asking, which spares the reads and writes of accounts whose keys
 * are held in memory a promise per event (DataKeys.kept).
 */
export type PersonalDataKeys = Pick<DataKeyStore, 'create' | 'get'> & {
  kept?(accountId: string): DataKeyState | undefined;
};

/**
 * The keys of a service that writes personal fields of accounts it does not own (content: captions, comments),
 * read through `dataKeys` (identity's): it encrypts with an account's live key and never makes one. A deleted
 * account's key is refused (AccountKeyDestroyed), as its writes are; one not made yet is KeyUnknown, to retry.
 */
export function readOnlyKeys(dataKeys: DataKeys): PersonalDataKeys {
  return {
    async create(accountId) {
      const state = await dataKeys.get(accountId);
      if (state.state === 'destroyed') throw new AccountKeyDestroyed(accountId);
      return state.key;
    },
    get: (accountId) => dataKeys.get(accountId),
    kept: (accountId) => dataKeys.kept(accountId),
  };
}

/** An append's events, with each one's owner (undefined: nothing personal) and the owners' live keys. */
interface Keyed {
  events: readonly NewEvent[];
  owners: readonly (Owned | undefined)[];
  keyOf: ReadonlyMap<string, Buffer>;
}

/** The events with their personal fields encrypted under their owners' keys. */
function encrypted({ events, owners, keyOf }: Keyed): readonly NewEvent[] {
  return events.map((event, i) => {
    const owned = owners[i];
    if (!owned) return event;
    const key = keyOf.get(owned.accountId) as Buffer;
    const data: Payload = { ...owned.data };
    for (const field of owned.spec.fields) {
      const value = data[field];
      if (typeof value !== 'string') continue;
      data[field] = encryptField(key, { accountId: owned.accountId, eventType: event.type, field }, value);
    }
    return { ...event, data };
  });
}

export function personalDataEventStore(
  store: EventStore,
  keys: PersonalDataKeys,
  personal: Readonly<Record<string, PersonalFields>>,
): EventStore {
  /**
   * The keys of the accounts whose personal fields `events` carry, each asked once per append, and not at all
   * when kept in memory (then no promise is made); undefined when no event has a personal field. A destroyed key
   * refuses the write, as `create` does.
   */
  function keysFor(events: readonly NewEvent[]): Keyed | undefined | Promise<Keyed> {
    const owners = events.map((event) => ownerOf(event.type, event.data, personal));
    if (owners.every((owned) => owned === undefined)) return undefined;
    const keyOf = new Map<string, Buffer>();
    const missing = new Set<string>();
    for (const owned of owners) {
      if (!owned || keyOf.has(owned.accountId)) continue;
      const kept = keys.kept?.(owned.accountId);
      if (kept?.state === 'destroyed') throw new AccountKeyDestroyed(owned.accountId);
      if (kept) keyOf.set(owned.accountId, kept.key);
      else missing.add(owned.accountId);
    }
    if (missing.size === 0) return { events, owners, keyOf };
    return Promise.all(
      [...missing].map(async (accountId) => keyOf.set(accountId, await keys.create(accountId))),
    ).then(() => ({ events, owners, keyOf }));
  }

  /**
   * The appends waiting for their encryption, which runs for all of them at once in the event loop's check phase
   * (setImmediate), so the appends of requests read in one poll phase are encrypted in one run. An encryption
   * through OpenSSL costs several times more alone, amid a request's other work, than in a run of them: alone,
   * its code and tables have left the processor's caches (content's comment profile under load: ~50 µs of CPU per
   * field alone; a micro-benchmark, ~12 µs in runs of 16 against ~47 µs each with the caches flushed between).
   * The wait is the rest of one turn of the event loop.
   */
  const waiting: {
    keyed: Keyed;
    done: (encrypted: readonly NewEvent[]) => void;
    failed: (error: unknown) => void;
  }[] = [];
  function encryptWaiting(): void {
    for (const { keyed, done, failed } of waiting.splice(0)) {
      try {
        done(encrypted(keyed));
      } catch (error) {
        failed(error);
      }
    }
  }
  async function encryptAll(events: readonly NewEvent[]): Promise<readonly NewEvent[]> {
    const keyed = await keysFor(events);
    if (!keyed) return events;
    return new Promise((done, failed) => {
      if (waiting.push({ keyed, done, failed }) === 1) setImmediate(encryptWaiting);
    });
  }

  /**
   * Decrypts the events of one read, each account's key asked once. A read with nothing encrypted (most of a
   * service's reads: a stream's tail, a stream without personal fields) answers the store's events as they are,
   * and one whose keys are all kept in memory makes no promise.
   */
  function decryptAll<E extends Pick<RecordedEvent, 'type' | 'data'>>(events: E[]): E[] | Promise<E[]> {
    let owners: (Owned | undefined)[] | undefined;
    for (const [i, event] of events.entries()) {
      const owned = encryptedOwnerOf(event.type, event.data, personal);
      if (!owned) continue;
      owners ??= new Array(events.length);
      owners[i] = owned;
    }
    if (!owners) return events;
    const found = owners;
    const states = new Map<string, DataKeyState>();
    const missing = new Set<string>();
    for (const owned of found) {
      if (!owned || states.has(owned.accountId)) continue;
      const kept = keys.kept?.(owned.accountId);
      if (kept) states.set(owned.accountId, kept);
      else missing.add(owned.accountId);
    }
    const decrypted = () =>
      events.map((event, i) => {
        const owned = found[i];
        if (!owned) return event;
        return {
          ...event,
          data: decryptedPayload(event.type, owned, states.get(owned.accountId) as DataKeyState),
        };
      });
    if (missing.size === 0) return decrypted();
    return Promise.all(
      [...missing].map(async (accountId) => states.set(accountId, await keys.get(accountId))),
    ).then(decrypted);
  }

  return {
    async appendToStream(
      streamId: string,
      events: readonly NewEvent[],
      options: { expectedRevision: ExpectedRevision },
    ): Promise<AppendResult> {
      return store.appendToStream(streamId, await encryptAll(events), options);
    },
    async readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
      return decryptAll(await store.readStream(streamId, options));
    },
    async readStreams(streamIds: readonly string[]): Promise<RecordedEvent[][]> {
      return Promise.all((await store.readStreams(streamIds)).map(decryptAll));
    },
    async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
      return decryptAll(await store.readAll(options));
    },
    async readByActor(actorId: string, options?: ReadAllOptions): Promise<RecordedEvent[]> {
      return decryptAll(await store.readByActor(actorId, options));
    },
    async readByType(types: readonly string[], options?: ReadAllOptions): Promise<RecordedEvent[]> {
      return decryptAll(await store.readByType(types, options));
    },
    async readAllForReplay(options?: ReadAllOptions): Promise<ReplayedEvent[]> {
      return decryptAll(await store.readAllForReplay(options));
    },
    headPosition: () => store.headPosition(),
    subscribeToAll(options?: SubscribeOptions): Subscription {
      const subscription = store.subscribeToAll(options);
      return {
        close: () => subscription.close(),
        async *[Symbol.asyncIterator]() {
          for await (const event of subscription) yield (await decryptAll([event]))[0] as RecordedEvent;
        },
      };
    },
    close: () => store.close(),
  };
}
