import { normalizeHashtag, type Page, type Tag, type UserSummary } from '@gram/service-kit';
import { compareRanks, decodeRankCursor, encodeRankCursor, type Rank } from '../../queries/cursor.js';
import type { PageRequest } from '../../queries/paging.js';
import type { DocumentStore, ReadModelStore } from '../../store/document-store.js';
import { followId } from '../../store/keys.js';
import { hiddenFrom } from '../blocks/rules.js';
import { followeesOf } from '../follows/documents.js';
import { isLiveUser, type UserDocument } from '../profiles/documents.js';
import { foldForSearch } from './terms.js';

/**
 * How many index entries a search ranks at most: a short prefix of a large index (`a`) matches more than a
 * page can rank at once, and the entries read come in term order, not in the order of the answer. Past it,
 * the results are the best of the first entries, not of all.
 */
export const searchCandidates = 1_000;

/** The items ranked after the cursor's, the first `limit` of them, and the cursor after those. */
function rankedPage<T>(
  ranked: readonly { rank: Rank; item: T }[],
  request: PageRequest,
  shape: readonly ('number' | 'string')[],
): Page<T> {
  const after = decodeRankCursor(request.cursor, shape);
  const sorted = [...ranked]
    .filter(({ rank }) => after === undefined || compareRanks(rank, after) > 0)
    .sort((a, b) => compareRanks(a.rank, b.rank));
  const page = sorted.slice(0, request.limit);
  const last = page[page.length - 1];
  return {
    items: page.map(({ item }) => item),
    nextCursor: sorted.length > request.limit && last ? encodeRankCursor(last.rank) : null,
  };
}

/**
 * The accounts `q` finds (a prefix of their userName, of a word of their name, or of their whole name, folded:
 * see terms.ts), as `viewerId` reads them: an exact userName match first, then the accounts the viewer follows,
 * then most followers first, then by userName. Private accounts are found (their profile is public); deleted
 * ones are not, nor those in a block with the viewer. The rank is the cursor, so a page boundary stays where
 * it was while accounts are added or removed before it.
 */
export async function searchUsers(
  { documents, search }: ReadModelStore,
  q: string,
  request: PageRequest,
  viewerId: string | undefined,
): Promise<Page<UserSummary>> {
  const prefix = foldForSearch(q);
  const ids = prefix === '' ? [] : await search.match('users', prefix, searchCandidates);
  if (ids.length === 0) return rankedPage([], request, userRank);
  const [users, hidden, followed] = await Promise.all([
    documents.getMany('users', ids, candidateFields),
    hiddenFrom(documents, viewerId),
    viewerId === undefined ? new Set<string>() : followedAmong(documents, viewerId, ids),
  ]);
  const found = (users.filter(isLiveUser) as UserDocument[]).filter((user) => !hidden.has(user.id));
  return rankedPage(
    found.map((user) => {
      const followedByMe = followed.has(user.id);
      return {
        rank: [
          user.userNameKey === prefix ? 0 : 1,
          followedByMe ? 0 : 1,
          -(user.followersCount ?? 0),
          user.userNameKey,
          user.id,
        ],
        item: {
          id: user.id,
          userName: user.userName,
          name: user.name,
          profilePic: user.profilePic,
          ...(viewerId === undefined ? {} : { followedByMe }),
        },
      };
    }),
    request,
    userRank,
  );
}

const userRank = ['number', 'number', 'number', 'string', 'string'] as const;

/**
 * Which of `ids` (live accounts) the viewer follows, by the cheaper of two reads of the same edges: its
 * followees, one list, when it follows no more accounts than there are candidates (the common case); else the
 * edge from it to each candidate.
 */
async function followedAmong(
  documents: DocumentStore,
  viewerId: string,
  ids: readonly string[],
): Promise<ReadonlySet<string>> {
  const viewer = await documents.get('users', viewerId, ['followingCount']);
  if (((viewer?.followingCount as number | undefined) ?? 0) <= ids.length)
    return new Set((await documents.values('follows', followeesOf(viewerId), 'followeeId')) as string[]);
  const edges = await documents.getMany(
    'follows',
    ids.map((id) => followId(viewerId, id)),
    ['following', 'followeeId'],
  );
  return new Set(edges.filter((edge) => edge.following === true).map((edge) => edge.followeeId as string));
}

/** What ranking a candidate and showing it read: up to a thousand candidates a search, so not whole profiles. */
const candidateFields = [
  'status',
  'userNameKey',
  'followersCount',
  'userName',
  'name',
  'profilePic',
] as const;

/**
 * The tags whose name starts with `q` (normalized as tags are; a leading `#` is not part of it), most posts
 * first, then by name. A tag is listed while a live post of a live public account carries it.
 */
export async function searchTags(
  { search }: ReadModelStore,
  q: string,
  request: PageRequest,
): Promise<Page<Tag>> {
  const prefix = normalizeHashtag(q.trim().replace(/^#/, ''));
  const terms = prefix === '' ? [] : await search.terms('tags', prefix, searchCandidates);
  return rankedPage(
    terms
      .filter(({ count }) => count > 0)
      .map(({ term, count }) => ({ rank: [-count, term], item: { name: term, postCount: count } })),
    request,
    tagRank,
  );
}

const tagRank = ['number', 'string'] as const;
