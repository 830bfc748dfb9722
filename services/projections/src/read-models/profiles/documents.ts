import type { Doc, DocumentStore, Filter } from '../../store/document-store.js';

/**
 * An account as the API shows it (collection `users`, id the user id). A placeholder (`rev` -1, no `status`)
 * holds only counts written before the registration arrived.
 */
export interface UserDocument extends Doc {
  status: 'live' | 'deleted';
  userName: string;
  /** the userName lower-cased: what a lookup by name matches */
  userNameKey: string;
  name: string;
  bio: string;
  profilePic: string;
  createdAt: string;
  /** set by a ProfileUpdated that turned the account private (or public again); absent: public */
  isPrivate?: boolean;
  /** kept by follows */
  followersCount?: number;
  followingCount?: number;
  /** kept by posts */
  postCount?: number;
  /** more followers than the hot author threshold: not fanned out on write (kept by follows) */
  hot?: boolean;
}

/** What handlers read of a user to decide: never the whole document. */
export const userFlags = ['status', 'hot'] as const;

/** The live account named `userName`, whatever its case. */
export const liveUserNamed = (userName: string): Filter => ({
  userNameKey: userName.toLowerCase(),
  status: 'live',
});

export function isLiveUser(user: Readonly<Doc> | undefined): boolean {
  return user?.status === 'live';
}

export function isDeletedUser(user: Readonly<Doc> | undefined): boolean {
  return user?.status === 'deleted';
}

/**
 * Whether the account is known deleted: documents of other streams written after the deletion are flagged
 * with it at write time (authorDeleted, userDeleted, ...), so either order of events ends the same.
 */
export async function isDeletedAccount(documents: DocumentStore, userId: string): Promise<boolean> {
  return isDeletedUser(await documents.get('users', userId, userFlags));
}
