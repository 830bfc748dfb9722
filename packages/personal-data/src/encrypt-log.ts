/**
 * The operators' migration of a log written before encryption existed: copies every event of `source`, in
 * global order, into `target` with each personal field encrypted, through `personalDataEventStore` so that it
 * is encrypted exactly as a live write would be. The source is only read: the operator destroys it (and its
 * backups) once the target is in service, since until then it still holds the plaintext.
 *
 * Each event keeps its stream, id, type, metadata and revision: it is appended expecting the revision before
 * it, so a target that disagrees fails the migration, naming the stream, instead of reordering it. What an
 * append cannot keep is the time the store recorded (`createdAt`): it becomes the migration's; the domain's own
 * times are in the payloads.
 *
 * The exception is identity's reservation streams under a legacy id (the plain SHA-256 of the value, which a
 * dictionary reverses; see reservation-ids.ts): none is left in the target. Their events hold the kind and the
 * account, never the value, so a legacy id is mapped to its keyed id (under the reservation secret of `keys`)
 * through the values the log's accounts name (the userName in UserRegistered, email and phoneNo in
 * AccountCredentialsSet, decrypted when need be). Such a stream moves whole, its events and revisions unchanged:
 * - to its keyed id, when its value is named by an account that is not being forgotten;
 * - nowhere (it is dropped) when its value is named by no such account: the claims of a deleted account (whose
 *   values the target must not keep, not even as a keyed id, and whose claims identity takes over anyway) and
 *   of a signup that died before registering (the same). Dropped too when the source also holds the value's
 *   keyed stream: identity claims under the keyed id only once the legacy claim is released, so the keyed
 *   stream is the value's history from then on.
 * A legacy stream still held by a live account that cannot be mapped means the log is not one identity wrote:
 * the migration fails before it writes anything, naming the stream. The values are learnt by a first pass over
 * the whole log, since a signup's claims come before the events that name its values.
 *
 * The personal fields of an account that is meant to be forgotten are written as `forgotten`, never
 * encrypted: an account the log says was deleted (its `UserDeleted`, which may predate the data keys, so its
 * key is destroyed here, leaving a tombstone), and an account whose key is already destroyed. A value already
 * encrypted (written by a live identity since the decorator existed) is copied as it is.
 *
 * Resumable: the target is written in source order, so a target holding N events holds the source's first N
 * as migrated (renamed, the dropped ones left out). A run checks that (same ids and streams, in the same order)
 * and continues after them; a target holding anything else is
 * refused. Run it with the log's writers stopped: what is appended after the run has read to the head is not
 * copied, though running it again copies it.
 */
import type { EventStore, NewEvent, RecordedEvent } from '@gram/event-store';
import { WrongExpectedRevisionError } from '@gram/event-store';
import { type PersonalFields, personalFields } from '@gram/events';
import { AccountKeyDestroyed, type DataKeyState, type DataKeyStore, KeyUnknown } from './data-key-store.js';
import { isEncryptedField } from './field-cipher.js';
import { decryptPersonalFields, forgotten, personalDataEventStore } from './personal-event-store.js';
import {
  isLegacyReservationStreamId,
  legacyReservationStreamId,
  ReservationIds,
  type UniqueKind,
} from './reservation-ids.js';

export interface EncryptLogOptions {
  source: EventStore;
  /** an empty store, or one a previous run of this migration of `source` stopped part-way through */
  target: EventStore;
  /** the data keys the services will read the target with */
  keys: DataKeyStore;
  personal?: Readonly<Record<string, PersonalFields>>;
  /** events read from the source at a time */
  pageSize?: number;
  /** awaited after each page is copied: the source's position reached, and the events in the target */
  onProgress?: (progress: { position: number; events: number }) => void | Promise<void>;
}

export interface EncryptLogResult {
  /** events the target held already, from a run that stopped part-way through */
  resumedAfter: number;
  /** events this run appended */
  copied: number;
  /** plaintext personal fields this run wrote encrypted */
  fieldsEncrypted: number;
  /** accounts whose personal fields this run wrote as forgotten */
  accountsForgotten: number;
  /** reservation streams of the source under a legacy id that the target holds under their keyed id */
  reservationsRekeyed: number;
  /** reservation streams of the source under a legacy id left out of the target */
  reservationsDropped: number;
}

/** The event that says an account was deleted, and the field naming it. */
const accountDeleted = { type: 'UserDeleted', account: 'userId' } as const;
/** The events naming the unique values an account claims, each in the field named after its kind. */
const claimedValues: Readonly<Record<string, { account: string; kinds: readonly UniqueKind[] }>> = {
  UserRegistered: { account: 'userId', kinds: ['userName'] },
  AccountCredentialsSet: { account: 'userId', kinds: ['email', 'phoneNo'] },
};
const reservationEvents = { reserved: 'UniqueValueReserved', released: 'UniqueValueReleased' } as const;

type Payload = Record<string, unknown>;

export async function encryptLog({
  source,
  target,
  keys,
  personal = personalFields,
  pageSize = 2_000,
  onProgress,
}: EncryptLogOptions): Promise<EncryptLogResult> {
  // Accounts whose fields are written as forgotten: the deleted ones, and those found with a destroyed key.
  // The log is read in order, so an account's UserDeleted comes after the events holding its personal fields:
  // a first pass learns which accounts are deleted before any of them is copied, and where each legacy
  // reservation stream goes. Only ids are kept.
  const survey = await surveyLog(source, keys, personal, pageSize);
  const { forgetting } = survey;
  const rekeyed = legacyReservationsRekeyed(survey);
  /** The event as the target holds it: under its keyed stream id, or nothing when its stream is dropped. */
  const migrated = (event: RecordedEvent): RecordedEvent | undefined => {
    if (!rekeyed.has(event.streamId)) return event;
    const keyed = rekeyed.get(event.streamId);
    return keyed === undefined ? undefined : { ...event, streamId: keyed };
  };
  const forgottenHere = new Set<string>();

  const encrypting = personalDataEventStore(target, keys, personal);
  const { events: resumedAfter, position: start } = await copiedPrefix(source, target, pageSize, migrated);
  let copied = 0;
  let fieldsEncrypted = 0;

  const ownerOf = (event: RecordedEvent): { spec: PersonalFields; accountId: string } | undefined => {
    const spec = personal[event.type];
    const accountId = (event.data as Payload | null)?.[spec?.owner ?? ''];
    return spec && typeof accountId === 'string' ? { spec, accountId } : undefined;
  };
  /** The personal fields of the event still in plaintext; none for an account being forgotten. */
  const toEncrypt = (event: RecordedEvent): string[] => {
    const owned = ownerOf(event);
    if (!owned || forgetting.has(owned.accountId)) return [];
    return owned.spec.fields.filter((field) => {
      const value = (event.data as Payload)[field];
      return typeof value === 'string' && !isEncryptedField(value);
    });
  };
  const asWritten = (event: RecordedEvent): NewEvent => {
    const owned = ownerOf(event);
    if (!owned || !forgetting.has(owned.accountId)) return newEvent(event, event.data);
    forgottenHere.add(owned.accountId);
    const data: Payload = { ...(event.data as Payload) };
    for (const field of owned.spec.fields) if (typeof data[field] === 'string') data[field] = forgotten;
    return newEvent(event, data);
  };

  /** Appends consecutive events of one stream, as few appends as the routes (encrypted or not) allow. */
  async function copyRun(streamId: string, run: readonly RecordedEvent[]): Promise<void> {
    let from = 0;
    while (from < run.length) {
      const first = run[from] as RecordedEvent;
      // Events with plaintext go through the encrypting store, the others (no personal field, already
      // encrypted, or forgotten) straight to the target.
      const encrypt = toEncrypt(first).length > 0;
      let to = from + 1;
      while (to < run.length && toEncrypt(run[to] as RecordedEvent).length > 0 === encrypt) to++;
      const slice = run.slice(from, to);
      const expectedRevision = first.revision === 0 ? 'no_stream' : first.revision - 1;
      try {
        if (encrypt) {
          await encrypting.appendToStream(
            streamId,
            slice.map((event) => newEvent(event, event.data)),
            { expectedRevision },
          );
          for (const event of slice) fieldsEncrypted += toEncrypt(event).length;
        } else {
          for (const event of slice) {
            const accountId =
              event.type === accountDeleted.type && (event.data as Payload)[accountDeleted.account];
            // Before the deletion is copied, as identity destroys the key before it appends the UserDeleted.
            if (typeof accountId === 'string') await keys.destroy(accountId);
          }
          await target.appendToStream(streamId, slice.map(asWritten), { expectedRevision });
        }
      } catch (error) {
        // The key was destroyed after the first pass, or the account was deleted without its UserDeleted
        // reaching the log: nothing of the slice was appended, so it is classified again, its fields forgotten.
        if (encrypt && error instanceof AccountKeyDestroyed && !forgetting.has(error.accountId)) {
          forgetting.add(error.accountId);
          continue;
        }
        if (error instanceof WrongExpectedRevisionError) {
          throw new Error(
            `stream ${streamId}: the target's revision ${error.actual} is not the one before the source's ` +
              `revision ${first.revision} (event ${first.id}); was the target written by something else?`,
            { cause: error },
          );
        }
        throw error;
      }
      copied += slice.length;
      from = to;
    }
  }

  for await (const page of pages(source, start, pageSize)) {
    const events = page.flatMap((event) => migrated(event) ?? []);
    let runStart = 0;
    for (let i = 1; i <= events.length; i++) {
      if (i < events.length && events[i]?.streamId === events[runStart]?.streamId) continue;
      await copyRun((events[runStart] as RecordedEvent).streamId, events.slice(runStart, i));
      runStart = i;
    }
    await onProgress?.({ position: (page.at(-1) as RecordedEvent).position, events: resumedAfter + copied });
  }
  const dropped = [...rekeyed.values()].filter((keyed) => keyed === undefined).length;
  return {
    resumedAfter,
    copied,
    fieldsEncrypted,
    accountsForgotten: forgottenHere.size,
    reservationsRekeyed: rekeyed.size - dropped,
    reservationsDropped: dropped,
  };
}

/** What the first pass learns of the source. */
interface LogSurvey {
  /** the deleted accounts, and those with a destroyed key */
  forgetting: Set<string>;
  /** the accounts whose registration is in the log */
  registered: Set<string>;
  /** legacy reservation stream → the account holding it at the end of the log (undefined: released) */
  legacyHolders: Map<string, string | undefined>;
  /** the reservation streams under a keyed id already */
  keyedReservations: Set<string>;
  /** the legacy reservation stream id of each value an account names → its keyed id, and those accounts */
  claimed: Map<string, { keyed: string; accounts: string[] }>;
}

async function surveyLog(
  source: EventStore,
  keys: DataKeyStore,
  personal: Readonly<Record<string, PersonalFields>>,
  pageSize: number,
): Promise<LogSurvey> {
  const survey: LogSurvey = {
    forgetting: new Set(),
    registered: new Set(),
    legacyHolders: new Map(),
    keyedReservations: new Set(),
    claimed: new Map(),
  };
  const reservationIds = await ReservationIds.of(keys);
  for await (const page of pages(source, 0, pageSize)) {
    for (const event of page) {
      const data = event.data as Payload | null;
      const accountId = data?.[accountDeleted.account];
      if (event.type === accountDeleted.type && typeof accountId === 'string')
        survey.forgetting.add(accountId);
      if (event.streamId.startsWith('reservation-')) {
        if (!isLegacyReservationStreamId(event.streamId)) survey.keyedReservations.add(event.streamId);
        else if (event.type === reservationEvents.reserved && typeof data?.userId === 'string') {
          survey.legacyHolders.set(event.streamId, data.userId);
        } else if (event.type === reservationEvents.released)
          survey.legacyHolders.set(event.streamId, undefined);
      }
      const claim = claimedValues[event.type];
      const owner = data?.[claim?.account ?? ''];
      if (!claim || typeof owner !== 'string') continue;
      survey.registered.add(owner);
      const key = await keyState(keys, owner);
      // Its deletion stopped after destroying the key: the account is forgotten, as a deleted one is.
      if (key?.state === 'destroyed') {
        survey.forgetting.add(owner);
        continue;
      }
      const values = (await decryptPersonalFields(event.type, data, personal, async () => {
        if (!key) throw new KeyUnknown(owner);
        return key;
      })) as Payload;
      for (const kind of claim.kinds) {
        const value = values[kind];
        if (typeof value !== 'string' || value === forgotten) continue;
        const legacyId = legacyReservationStreamId(kind, value);
        const entry = survey.claimed.get(legacyId) ?? {
          keyed: reservationIds.streamId(kind, value),
          accounts: [],
        };
        entry.accounts.push(owner);
        survey.claimed.set(legacyId, entry);
      }
    }
  }
  return survey;
}

/**
 * Each legacy reservation stream → its keyed id, or undefined where it is dropped (the rules are in this file's
 * comment). Throws, naming it, for a legacy stream a live account holds that cannot be mapped.
 */
function legacyReservationsRekeyed({
  forgetting,
  registered,
  legacyHolders,
  keyedReservations,
  claimed,
}: LogSurvey): Map<string, string | undefined> {
  const rekeyed = new Map<string, string | undefined>();
  for (const [legacyId, holder] of legacyHolders) {
    const known = claimed.get(legacyId);
    const keyed = known?.accounts.some((account) => !forgetting.has(account)) ? known.keyed : undefined;
    if (keyed !== undefined && !keyedReservations.has(keyed)) {
      rekeyed.set(legacyId, keyed);
      continue;
    }
    if (holder !== undefined && registered.has(holder) && !forgetting.has(holder)) {
      throw new Error(
        `the reservation stream ${legacyId} (a legacy id) is still held by the live account ${holder}, but ` +
          (keyed === undefined
            ? 'no event of the log names its value, so its keyed id is unknown'
            : `the value is claimed under its keyed id ${keyed} too`) +
          ': was the log written by something else than identity?',
      );
    }
    rekeyed.set(legacyId, undefined);
  }
  return rekeyed;
}

/** The account's key, undefined when it has none (its events were all written before encryption). */
async function keyState(keys: DataKeyStore, accountId: string): Promise<DataKeyState | undefined> {
  try {
    return await keys.get(accountId);
  } catch (error) {
    if (error instanceof KeyUnknown) return undefined;
    throw error;
  }
}

function newEvent(event: RecordedEvent, data: unknown): NewEvent {
  return { id: event.id, type: event.type, data, metadata: event.metadata };
}

async function* pages(store: EventStore, after: number, pageSize: number): AsyncGenerator<RecordedEvent[]> {
  for (let position = after; ; ) {
    const page = await store.readAll({ after: position, maxCount: pageSize });
    if (page.length === 0) return;
    yield page;
    position = (page.at(-1) as RecordedEvent).position;
  }
}

/**
 * How many events a previous run copied, and the source position after which to continue: the target must hold
 * exactly the source's first events as migrated (the dropped ones left out), compared id by id.
 */
async function copiedPrefix(
  source: EventStore,
  target: EventStore,
  pageSize: number,
  migrated: (event: RecordedEvent) => RecordedEvent | undefined,
): Promise<{ events: number; position: number }> {
  const expected = migratedEvents(source, pageSize, migrated);
  let events = 0;
  let position = 0;
  for await (const page of pages(target, 0, pageSize)) {
    for (const copy of page) {
      const next = await expected.next();
      const original = next.done ? undefined : next.value;
      events += 1;
      if (original?.id !== copy.id || original.streamId !== copy.streamId) {
        throw new Error(
          `the target's event ${events} (${copy.id} of stream ${copy.streamId}) is not the source's ` +
            `(${original ? `${original.id} of stream ${original.streamId}` : 'the source has fewer events'}): ` +
            'the target must be empty, or hold what a previous run of this migration copied',
        );
      }
      position = original.position;
    }
  }
  await expected.return(undefined);
  return { events, position };
}

async function* migratedEvents(
  source: EventStore,
  pageSize: number,
  migrated: (event: RecordedEvent) => RecordedEvent | undefined,
): AsyncGenerator<RecordedEvent> {
  for await (const page of pages(source, 0, pageSize)) {
    for (const event of page) {
      const copy = migrated(event);
      if (copy) yield copy;
    }
  }
}
