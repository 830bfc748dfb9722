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
 * The personal fields of an account that is meant to be forgotten are written as `forgotten`, never
 * encrypted: an account the log says was deleted (its `UserDeleted`, which may predate the data keys, so its
 * key is destroyed here, leaving a tombstone), and an account whose key is already destroyed. A value already
 * encrypted (written by a live identity since the decorator existed) is copied as it is.
 *
 * Resumable: the target is written in source order, so a target holding N events holds the source's first N.
 * A run checks that (same ids, in the same order) and continues after them; a target holding anything else is
 * refused. Run it with the log's writers stopped: what is appended after the run has read to the head is not
 * copied, though running it again copies it.
 */
import type { EventStore, NewEvent, RecordedEvent } from '@gram/event-store';
import { WrongExpectedRevisionError } from '@gram/event-store';
import { type PersonalFields, personalFields } from '@gram/events';
import { AccountKeyDestroyed, type DataKeyStore } from './data-key-store.js';
import { isEncryptedField } from './field-cipher.js';
import { forgotten, personalDataEventStore } from './personal-event-store.js';

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
}

/** The event that says an account was deleted, and the field naming it. */
const accountDeleted = { type: 'UserDeleted', account: 'userId' } as const;

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
  // a first pass learns which accounts are deleted before any of them is copied. Only their ids are kept.
  const forgetting = new Set<string>();
  for await (const page of pages(source, 0, pageSize)) {
    for (const event of page) {
      const accountId = (event.data as Payload | null)?.[accountDeleted.account];
      if (event.type === accountDeleted.type && typeof accountId === 'string') forgetting.add(accountId);
    }
  }
  const forgottenHere = new Set<string>();

  const encrypting = personalDataEventStore(target, keys, personal);
  const { events: resumedAfter, position: start } = await copiedPrefix(source, target, pageSize);
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
    let runStart = 0;
    for (let i = 1; i <= page.length; i++) {
      if (i < page.length && page[i]?.streamId === page[runStart]?.streamId) continue;
      await copyRun((page[runStart] as RecordedEvent).streamId, page.slice(runStart, i));
      runStart = i;
    }
    await onProgress?.({ position: (page.at(-1) as RecordedEvent).position, events: resumedAfter + copied });
  }
  return { resumedAfter, copied, fieldsEncrypted, accountsForgotten: forgottenHere.size };
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
 * exactly the source's first events, compared id by id, page by page.
 */
async function copiedPrefix(
  source: EventStore,
  target: EventStore,
  pageSize: number,
): Promise<{ events: number; position: number }> {
  let events = 0;
  let position = 0;
  for await (const page of pages(target, 0, pageSize)) {
    const expected = await source.readAll({ after: position, maxCount: page.length });
    page.forEach((copy, i) => {
      const original = expected[i];
      if (original?.id !== copy.id || original.streamId !== copy.streamId) {
        throw new Error(
          `the target's event ${events + i + 1} (${copy.id} of stream ${copy.streamId}) is not the source's ` +
            `(${original ? `${original.id} of stream ${original.streamId}` : 'the source has fewer events'}): ` +
            'the target must be empty, or hold what a previous run of this migration copied',
        );
      }
    });
    events += page.length;
    position = (expected.at(-1) as RecordedEvent).position;
  }
  return { events, position };
}
