import type { Page, Profile, UserSummary } from '@gram/service-kit';
import { NotFound, nextCursor, type PageRequest, rawPage } from '../../queries/paging.js';
import type { CollectionName, Doc, DocumentStore, Filter } from '../../store/document-store.js';
import { isBlocking } from '../blocks/documents.js';
import { hiddenFrom } from '../blocks/rules.js';
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
  const notFound = `no user ${userId}`;
  const user = await documents.get('users', userId);
  if (!isLiveUser(user)) throw new NotFound(notFound);
  const live = user as UserDocument;
  return { view: await profileView(documents, live, viewerId, notFound), revision: live.rev };
}

export async function profileByUserName(
  documents: DocumentStore,
  userName: string,
  viewerId?: string,
): Promise<Profile> {
  const notFound = `no user named ${userName}`;
  const user = await documents.findOne('users', liveUserNamed(userName));
  if (!user) throw new NotFound(notFound);
  return profileView(documents, user as UserDocument, viewerId, notFound);
}

/**
 * Summaries of the live accounts among `ids`; an account not projected yet or deleted is left out. Only what a
 * summary shows is read: every list of posts or accounts reads its page's accounts here, and the whole
 * documents (counts, bio, flags) were copied only to be dropped.
 */
export async function summaries(documents: DocumentStore, ids: string[]): Promise<Map<string, UserSummary>> {
  const users = await documents.getMany('users', [...new Set(ids)], summaryFields);
  return new Map(users.filter(isLiveUser).map((user) => [user.id, summaryOf(user as UserDocument)]));
}

/**
 * A page of the accounts that `field` names in the documents of `collection` matching `filter` (the followers
 * of an account, the likers of a post), as `viewerId` reads it; an account not projected yet, deleted or hidden
 * from the viewer is left out.
 */
export async function accountPage(
  documents: DocumentStore,
  collection: CollectionName,
  filter: Filter,
  field: string,
  request: PageRequest,
  viewerId: string | undefined,
): Promise<Page<UserSummary>> {
  const raw = await rawPage(documents, collection, filter, request);
  return withAccounts(documents, raw, request, field, viewerId, (_edge, account) => account);
}

/**
 * The first `limit` documents of `raw` (a rawPage) as a page of `view`s, each with the summary of the account
 * `field` names (the author of a comment, a follower); one whose account is not live, or is hidden from
 * `viewerId` (blocks/rules.ts), is left out, so such a page may hold fewer than `limit` items and still have a
 * next one. Every list of accounts is read through here, so none shows the viewer an account in a block with it.
 * The accounts a document mentions (its `mentions` ids, a comment's or a reply's) are read in the same batch as
 * the authors, and `view` gets them as the reader may see them (mentionsOf).
 */
export async function withAccounts<D extends Doc, T>(
  documents: DocumentStore,
  raw: readonly Doc[],
  request: PageRequest,
  field: string,
  viewerId: string | undefined,
  view: (doc: D, account: UserSummary, mentions: UserSummary[]) => T,
): Promise<Page<T>> {
  const page = raw.slice(0, request.limit) as D[];
  const [accounts, hidden] = await Promise.all([
    summaries(documents, [
      ...page.map((doc) => doc[field] as string),
      ...page.flatMap((doc) => mentionIds(doc)),
    ]),
    hiddenFrom(documents, viewerId),
  ]);
  return {
    items: page.flatMap((doc) => {
      const accountId = doc[field] as string;
      const account = accounts.get(accountId);
      return account && !hidden.has(accountId)
        ? [view(doc, account, mentionsOf(mentionIds(doc), accounts, hidden))]
        : [];
    }),
    nextCursor: nextCursor(raw, request),
  };
}

/** The ids a post, comment or reply mentions (none in a document written before mentions existed). */
export function mentionIds(doc: Readonly<Doc>): readonly string[] {
  return (doc.mentions as readonly string[] | undefined) ?? [];
}

/**
 * The mentioned accounts as a reader sees them, from summaries read with the authors: a deleted account (not in
 * `accounts`, which holds live ones only) or one in a block with the reader (`hidden`) is left out, as it is
 * from every list the reader reads.
 */
export function mentionsOf(
  ids: readonly string[],
  accounts: ReadonlyMap<string, UserSummary>,
  hidden: ReadonlySet<string>,
): UserSummary[] {
  return ids.flatMap((id) => {
    const account = accounts.get(id);
    return account && !hidden.has(id) ? [account] : [];
  });
}

/** What summaryOf and isLiveUser read of an account. */
const summaryFields = ['status', 'userName', 'name', 'profilePic'] as const;

function summaryOf(user: UserDocument): UserSummary {
  return { id: user.id, userName: user.userName, name: user.name, profilePic: user.profilePic };
}

/**
 * The profile as `viewerId` sees it; NotFound with `notFound` (what an unknown account gets) when the account
 * blocks the viewer: for it, the account does not exist.
 */
async function profileView(
  documents: DocumentStore,
  user: UserDocument,
  viewerId: string | undefined,
  notFound: string,
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
    // The viewer's own mute and block only: whether anyone else mutes or blocks this account is never told,
    // and a block of the viewer is told only as the account's absence.
    const [followedByMe, requestedByMe, followsMe, mutedByMe, blockedByMe, blocksMe] = await Promise.all([
      isFollowing(documents, viewerId, user.id),
      hasRequested(documents, viewerId, user.id),
      isFollowing(documents, user.id, viewerId),
      isMuting(documents, viewerId, user.id),
      isBlocking(documents, viewerId, user.id),
      viewerId === user.id ? false : isBlocking(documents, user.id, viewerId),
    ]);
    if (blocksMe) throw new NotFound(notFound);
    Object.assign(view, { followedByMe, requestedByMe, followsMe, mutedByMe, blockedByMe });
  }
  return view;
}
