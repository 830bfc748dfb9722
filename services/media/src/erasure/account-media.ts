import type { EventStore } from '@gram/event-store';
import { fromStoredEvent, streamIds } from '@gram/events';
import { handleCommand, isDomainError, loadAggregate } from '@gram/service-kit';
import { type MediaStorage, MediaStorageUnavailable } from '../storage/media-storage.js';
import { mediaDecider } from '../uploads/media.js';

export interface AccountMediaErasureDeps {
  /** the event store the uploads were recorded in */
  store: EventStore;
  storage: MediaStorage;
  now?: () => Date;
  /** the account's events read at once (default 500) */
  pageSize?: number;
}

/** Uploads erased at once: their deletions overlap, without sending the storage an account's thousands together. */
const UPLOADS_AT_ONCE = 8;

/**
 * Erases every file an account uploaded, for its deletion (identity calls this before it answers
 * `DELETE /users/me`): each rendition (original, standard, thumbnail) of each of its uploads is deleted from
 * the storage, then `MediaErased` is appended to the upload's stream. Resolves once every file is gone, with the
 * number of uploads this call erased; throws
 * MediaStorageUnavailable (503) when the storage fails, and the caller retries the whole erasure.
 *
 * The uploads are found among the events the account caused (`readByActor`: MediaUploaded is appended with the
 * uploader as actor), without scanning the log. Files go before their event: an upload recorded as erased has
 * no file left, so a retry skips it and only finishes what a failed attempt left, and a repeated erasure appends
 * nothing.
 *
 * An upload that finishes while this runs is found too: the account's events are read again after the last
 * page's files are deleted, until a read finds nothing new. What remains is the window between that last read and
 * the account's UserDeleted (identity appends it after this resolves): an upload whose MediaUploaded lands
 * in it keeps its files. The upload route narrows it by checking, just before it appends, that its account is
 * not deleted; an upload that passes that check before UserDeleted and appends after the last read here still
 * gets through.
 */
export async function eraseAccountMedia(deps: AccountMediaErasureDeps, accountId: string): Promise<number> {
  const { store, pageSize = 500 } = deps;
  const now = deps.now ?? (() => new Date());
  let erased = 0;
  let after: number | undefined;
  for (;;) {
    const page = await store.readByActor(accountId, {
      ...(after === undefined ? {} : { after }),
      maxCount: pageSize,
    });
    const last = page.at(-1);
    if (last === undefined) return erased;
    const uploads = page.flatMap((recorded) => {
      const event = recorded.type === 'MediaUploaded' ? fromStoredEvent(recorded) : undefined;
      return event?.type === 'MediaUploaded' && event.data.uploaderId === accountId
        ? [event.data.mediaId]
        : [];
    });
    for (let at = 0; at < uploads.length; at += UPLOADS_AT_ONCE) {
      const done = await Promise.all(
        uploads.slice(at, at + UPLOADS_AT_ONCE).map((mediaId) => eraseUpload(deps, mediaId, accountId, now)),
      );
      erased += done.filter(Boolean).length;
    }
    after = last.position;
  }
}

/** Deletes one upload's files and records it; false when it was erased already. */
async function eraseUpload(
  { store, storage }: AccountMediaErasureDeps,
  mediaId: string,
  accountId: string,
  now: () => Date,
): Promise<boolean> {
  const stream = streamIds.media(mediaId);
  const { state } = await loadAggregate(store, stream, mediaDecider);
  if (state.status !== 'uploaded') return false;
  const { original, standard, thumbnail } = state.upload;
  await Promise.all(
    [original, standard, thumbnail].map(({ key }) =>
      storage.delete(key).catch((error: unknown) => {
        throw new MediaStorageUnavailable(`the media storage could not delete ${key}`, error);
      }),
    ),
  );
  const result = await handleCommand(
    store,
    stream,
    mediaDecider,
    { type: 'EraseMedia', data: { mediaId, erasedAt: now().toISOString() } },
    { actorId: accountId },
  );
  if (isDomainError(result)) throw new Error(`media ${mediaId} refused its erasure: ${result.message}`);
  return result.events.length > 0;
}
