import type { Page, Profile, UserSummary } from '@gram/service-kit';
import { NotFound, nextCursor, type PageRequest, rawPage } from '../../queries/paging.js';
import type { CollectionName, Doc, DocumentStore, Filter } from '../../store/document-store.js';
import { hasRequested, isFollowing } from '../follows/queries.js';
import { isMuting } from '../mutes/documents.js';
import { isLiveUser, liveUserNamed, type UserDocument } from './documents.js';

export async function profile(documents: DocumentStore, userId: string, viewerId?: string): Promise<Profile> {
  return (await profileWithRevision(documents, userId, viewerId)).view;
}

/**
 * The profile and the revision of the account's stream it was read at, its last public event's: its ETag
 * (see the route). The stream's own head may be a private event further on (AccountCredentialsSet), which
 * the write side's If-Match check skips likewise.
 */
export async function profileWithRevision(
  documents: DocumentStore,
  userId: string,
  viewerId?: string,
): Promise<{ view: Profile; revision: number }> {
  const user = await documents.get('users', userId);
  if (!isLiveUser(user)) throw new NotFound(`no user ${userId}`);
  const live = user as UserDocument;
  return { view: await profileView(documents, live, viewerId), revision: live.rev };
}

export async function profileByUserName(
  documents: DocumentStore,
  userName: string,
  viewerId?: string,
): Promise<Profile> {
  const user = await documents.findOne('users', liveUserNamed(userName));
  if (!user) throw new NotFound(`no user named ${userName}`);
  return profileView(documents, user as UserDocument, viewerId);
}

/** Summaries of the live accounts among `ids`; an account not projected yet or deleted is left out. */
export async function summaries(documents: DocumentStore, ids: string[]): Promise<Map<string, UserSummary>> {
  const users = await documents.getMany('users', [...new Set(ids)]);
  return new Map(users.filter(isLiveUser).map((user) => [user.id, summaryOf(user as UserDocument)]));
}

/**
 * A page of the accounts that `field` names in the documents of `collection` matching `filter` (the followers
 * of an account, the likers of a post); an account not projected yet or deleted is left out.
 */
export async function accountPage(
  documents: DocumentStore,
  collection: CollectionName,
  filter: Filter,
  field: string,
  request: PageRequest,
): Promise<Page<UserSummary>> {
  const raw = await rawPage(documents, collection, filter, request);
  return withAccounts(documents, raw, request, field, (_edge, account) => account);
}

/**
 * The first `limit` documents of `raw` (a rawPage) as a page of `view`s, each with the summary of the account
 * `field` names (the author of a comment, a follower); one whose account is not live is left out.
 */
export async function withAccounts<D extends Doc, T>(
  documents: DocumentStore,
  raw: readonly Doc[],
  request: PageRequest,
  field: string,
  view: (doc: D, account: UserSummary) => T,
): Promise<Page<T>> {
  const page = raw.slice(0, request.limit) as D[];
  const accounts = await summaries(
    documents,
    page.map((doc) => doc[field] as string),
  );
  return {
    items: page.flatMap((doc) => {
      const account = accounts.get(doc[field] as string);
      return account ? [view(doc, account)] : [];
    }),
    nextCursor: nextCursor(raw, request),
  };
}

function summaryOf(user: UserDocument): UserSummary {
  return { id: user.id, userName: user.userName, name: user.name, profilePic: user.profilePic };
}

async function profileView(
  documents: DocumentStore,
  user: UserDocument,
  viewerId?: string,
): Promise<Profile> {
  const view: Profile = {
    ...summaryOf(user),
    bio: user.bio,
    followersCount: user.followersCount ?? 0,
    followingCount: user.followingCount ?? 0,
    postCount: user.postCount ?? 0,
    createdAt: user.createdAt,
    isPrivate: user.isPrivate === true,
  };
  if (viewerId !== undefined) {
    // The viewer's own mute only: whether anyone else mutes this account is never told.
    const [followedByMe, requestedByMe, followsMe, mutedByMe] = await Promise.all([
      isFollowing(documents, viewerId, user.id),
      hasRequested(documents, viewerId, user.id),
      isFollowing(documents, user.id, viewerId),
      isMuting(documents, viewerId, user.id),
    ]);
    Object.assign(view, { followedByMe, requestedByMe, followsMe, mutedByMe });
  }
  return view;
}
