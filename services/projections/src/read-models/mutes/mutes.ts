import { ms, muteId } from '../../store/keys.js';
import { reconcileFollowFeed } from '../follows/feeds.js';
import { isDeletedAccount } from '../profiles/documents.js';
import { defineReadModel, type ProjectionContext } from '../read-model.js';
import { type MuteEdge, muteEdgesTo, mutersOf, mutesBy } from './documents.js';

async function applyMute(
  { muterId, mutedId }: { muterId: string; mutedId: string },
  muted: { at: number } | undefined,
  context: ProjectionContext,
  rev: number,
): Promise<void> {
  const { documents } = context;
  await documents.applyRevision('mutes', muteId(muterId, mutedId), rev, {
    muterId,
    mutedId,
    muted: muted !== undefined,
    ...(muted ? { at: muted.at } : {}),
    mutedDeleted: await isDeletedAccount(documents, mutedId),
  } satisfies Partial<MuteEdge>);
  // The muter's feed as the mute now has it: the muted author's posts out (and a hot author no longer merged),
  // or, unmuted, back in if the muter follows them, as a follow brings them (feeds.ts reads the mute).
  await reconcileFollowFeed(context, muterId, mutedId);
}

/**
 * Mutes: one edge per (muter, muted), read by the muter's GET /users/me/mutes and Profile.mutedByMe, and by the
 * home feeds (follows/feeds.ts), which keep a muted author's posts out of the muter's feed. Who muted whom is in
 * no other response, and reaches this read model on an internal topic only.
 *
 * No counts: nothing in the API counts mutes, so verify has nothing to recount here (`log.fold` keeps nothing).
 */
export const mutes = defineReadModel({
  name: 'mutes',
  documents: ['mutes'],
  canHandle: ['UserMuted', 'UserUnmuted', 'UserDeleted'],
  handlers: {
    UserMuted: (e, context, rev) => applyMute(e, { at: ms(e.mutedAt) }, context, rev),
    UserUnmuted: (e, context, rev) => applyMute(e, undefined, context, rev),
    /** A deleted account leaves the mutes lists; mutes written after the deletion are flagged at write time. */
    async UserDeleted({ userId }, context) {
      await context.documents.updateMany('mutes', muteEdgesTo(userId), { mutedDeleted: true });
    },
  },
  counters: [],
  lists: [
    { name: 'mutesBy', collection: 'mutes', key: 'muterId', filter: mutesBy },
    { name: 'mutersOf', collection: 'mutes', key: 'mutedId', filter: mutersOf },
    { name: 'muteEdgesTo', collection: 'mutes', key: 'mutedId', filter: muteEdgesTo },
  ],
  log: {
    // No counters to recount (see above).
    fold() {},
  },
});
