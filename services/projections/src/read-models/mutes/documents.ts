import type { Doc, DocumentStore, Filter } from '../../store/document-store.js';
import { muteId } from '../../store/keys.js';

/** A mute edge (collection `mutes`, id muteId(muterId, mutedId)): the mute stream's last word. */
export interface MuteEdge extends Doc {
  muterId: string;
  mutedId: string;
  muted: boolean;
  /** when last muted, in ms: the mutes page's sort key (newest first) */
  at?: number;
  mutedDeleted: boolean;
}

/** The accounts a user mutes, as GET /users/me/mutes lists them: live mutes of accounts not deleted. */
export const mutesBy = (muterId: string): Filter => ({ muterId, muted: true, mutedDeleted: false });

/** The users who mute an author now: the fan-out of the author's posts skips them. */
export const mutersOf = (mutedId: string): Filter => ({ mutedId, muted: true });

/** Every mute edge to an account, whatever its state: what its deletion flags. */
export const muteEdgesTo = (mutedId: string): Filter => ({ mutedId });

/** Whether `muterId` mutes `mutedId` now (mutedByMe, and whether the muted's posts may enter the muter's feed). */
export async function isMuting(documents: DocumentStore, muterId: string, mutedId: string): Promise<boolean> {
  return (await documents.get('mutes', muteId(muterId, mutedId), ['muted']))?.muted === true;
}

/**
 * The users muting `authorId`, as a set: one range read of the author's `mutersOf` list (a Redis sorted set in
 * the distributed store, an index in memory), so that a fan-out checks each follower with a Set lookup rather
 * than a read per follower.
 */
export async function mutersOfAuthor(documents: DocumentStore, authorId: string): Promise<Set<string>> {
  return new Set((await documents.values('mutes', mutersOf(authorId), 'muterId')) as string[]);
}

/** The accounts `muterId` mutes, as a set: one range read of its `mutesBy` list. */
export async function mutedBy(documents: DocumentStore, muterId: string): Promise<Set<string>> {
  return new Set((await documents.values('mutes', mutesBy(muterId), 'mutedId')) as string[]);
}
