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
  const spec = personal[type];
  if (!spec || typeof data !== 'object' || data === null) return data;
  const source = data as Payload;
  const encrypted = spec.fields.filter((field) => {
    const value = source[field];
    return typeof value === 'string' && isEncryptedField(value);
  });
  if (encrypted.length === 0) return data;
  const accountId = source[spec.owner];
  if (typeof accountId !== 'string') throw new Error(`${type} names no account in its field ${spec.owner}`);
  const key = await keyOf(accountId);
  const decrypted: Payload = { ...source };
  for (const field of encrypted) {
    decrypted[field] =
      key.state === 'destroyed'
        ? forgotten
        : decryptField(key.key, { accountId, eventType: type, field }, source[field] as string);
  }
  return decrypted;
}

/** What the store needs of keys: a live key to encrypt with (`create`), any key's state to decrypt with. */
export type PersonalDataKeys = Pick<DataKeyStore, 'create' | 'get'>;

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
  };
}

export function personalDataEventStore(
  store: EventStore,
  keys: PersonalDataKeys,
  personal: Readonly<Record<string, PersonalFields>>,
): EventStore {
  const ownerOf = (type: string, data: unknown): { spec: PersonalFields; accountId: string } | undefined => {
    const spec = personal[type];
    if (!spec || typeof data !== 'object' || data === null) return undefined;
    const accountId = (data as Payload)[spec.owner];
    if (typeof accountId !== 'string') throw new Error(`${type} names no account in its field ${spec.owner}`);
    return { spec, accountId };
  };

  async function encrypt(event: NewEvent): Promise<NewEvent> {
    const owned = ownerOf(event.type, event.data);
    if (!owned) return event;
    const key = await keys.create(owned.accountId);
    const data: Payload = { ...(event.data as Payload) };
    for (const field of owned.spec.fields) {
      const value = data[field];
      if (typeof value !== 'string') continue;
      data[field] = encryptField(key, { accountId: owned.accountId, eventType: event.type, field }, value);
    }
    return { ...event, data };
  }

  /** Decrypts the events of one read, fetching each account's key once. */
  async function decryptAll<E extends Pick<RecordedEvent, 'type' | 'data'>>(events: E[]): Promise<E[]> {
    const states = new Map<string, Promise<DataKeyState>>();
    const keyOf = (accountId: string) => {
      let state = states.get(accountId);
      if (!state) {
        state = keys.get(accountId);
        states.set(accountId, state);
      }
      return state;
    };
    return Promise.all(
      events.map(async (event) => {
        const data = await decryptPersonalFields(event.type, event.data, personal, keyOf);
        return data === event.data ? event : { ...event, data };
      }),
    );
  }

  return {
    async appendToStream(
      streamId: string,
      events: readonly NewEvent[],
      options: { expectedRevision: ExpectedRevision },
    ): Promise<AppendResult> {
      return store.appendToStream(streamId, await Promise.all(events.map(encrypt)), options);
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
