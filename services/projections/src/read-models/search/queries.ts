import { normalizeHashtag, type Page, type Tag, type UserSummary } from '@gram/service-kit';
import { compareRanks, decodeRankCursor, encodeRankCursor, type Rank } from '../../queries/cursor.js';
import type { PageRequest } from '../../queries/paging.js';
import { inOrder } from '../../queries/ranked.js';
import type { DocumentStore, ReadModelStore } from '../../store/document-store.js';
import {
  type AccountRank,
  compareAccountRanks,
  rankedPrefixOf,
  type SearchIndex,
} from '../../store/search-index.js';
import { hiddenFrom } from '../blocks/rules.js';
import { followeesOf } from '../follows/documents.js';
import { isLiveUser } from '../profiles/documents.js';
import { foldForSearch } from './terms.js';

/**
 * How many index entries a search by a prefix longer than the index ranks (rankedPrefixLength) reads at most,
 * and how many tags a tag search ranks: the entries read come in term order, not in the order of the answer,
 * so past it the results are the best of the first entries, not of all.
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
 *
 * Each group is read apart, so that no search reads more than its page's documents: the exact match (one
 * account by its userNameKey) and the viewer's followees that match (their ranks, from the index) are few; the
 * rest is the prefix's ranking in the index (SearchIndex.rankAccount), read in order from the cursor on,
 * skipping those two groups and the accounts in a block with the viewer. A prefix longer than the index ranks
 * (rankedPrefixLength) matches few accounts: the first `searchCandidates` of them are ranked from the index.
 */
export async function searchUsers(
  { documents, search }: ReadModelStore,
  q: string,
  request: PageRequest,
  viewerId: string | undefined,
): Promise<Page<UserSummary>> {
  const prefix = foldForSearch(q);
  const after = decodeRankCursor(request.cursor, userRank);
  if (prefix === '') return { items: [], nextCursor: null };
  const [exact, followed, hidden] = await Promise.all([
    exactMatch(documents, search, prefix),
    viewerId === undefined ? [] : followedMatches(documents, search, viewerId, prefix),
    hiddenFrom(documents, viewerId),
  ]);
  const followedIds = new Set(followed.map((rank) => rank.id));
  /** Groups: 0 the exact match, 1 the followed, 2 the others (the rank is the cursor, as API.md orders). */
  const rankOf = (rank: AccountRank, group: 0 | 1 | 2): Rank => [
    group === 0 ? 0 : 1,
    followedIds.has(rank.id) ? 0 : 1,
    -rank.followers,
    rank.userNameKey,
    rank.id,
  ];
  const first = new Set([...exact, ...followed].map((rank) => rank.id));
  const wanted = request.limit + 1;
  const ranked: { rank: Rank; id: string }[] = [];
  const take = (ranks: readonly AccountRank[], group: 0 | 1 | 2) => {
    for (const account of ranks) {
      if (ranked.length === wanted) return;
      if (hidden.has(account.id) || (group === 2 && first.has(account.id))) continue;
      const rank = rankOf(account, group);
      if (after === undefined || compareRanks(rank, after) > 0) ranked.push({ rank, id: account.id });
    }
  };
  take(exact, 0);
  take(
    [...followed]
      .filter((account) => !exact.some((other) => other.id === account.id))
      .sort(compareAccountRanks),
    1,
  );
  if (ranked.length < wanted) {
    // Past the first two groups: from the cursor's place in the ranking when it is in the third group.
    const from: AccountRank | undefined =
      after && after[0] === 1 && after[1] === 1
        ? { followers: -(after[2] as number), userNameKey: after[3] as string, id: after[4] as string }
        : undefined;
    if (rankedPrefixOf(prefix) === prefix) {
      for (let cursor = from; ranked.length < wanted; ) {
        const ranks = await search.rankedAccounts(prefix, cursor, wanted + first.size + 8);
        take(ranks, 2);
        if (ranks.length < wanted + first.size + 8) break;
        cursor = ranks[ranks.length - 1];
      }
    } else {
      const ids = await search.match('users', prefix, searchCandidates);
      const ranks = (await search.accountRanks(ids, prefix)).sort(compareAccountRanks);
      take(from ? ranks.filter((rank) => compareAccountRanks(rank, from) > 0) : ranks, 2);
    }
  }
  const page = ranked.slice(0, request.limit);
  const users = inOrder(
    page.map(({ id }) => id),
    await documents.getMany(
      'users',
      page.map(({ id }) => id),
      shownFields,
    ),
  ).filter(isLiveUser);
  const last = page[page.length - 1];
  return {
    items: users.map((user) => ({
      id: user.id,
      userName: user.userName as string,
      name: user.name as string,
      profilePic: user.profilePic as string,
      ...(viewerId === undefined ? {} : { followedByMe: followedIds.has(user.id) }),
    })),
    nextCursor: ranked.length > request.limit && last ? encodeRankCursor(last.rank) : null,
  };
}

const userRank = ['number', 'number', 'number', 'string', 'string'] as const;

/** The account whose userName is `prefix`, as the index ranks it, if it is found by it (live, not erased). */
async function exactMatch(
  documents: DocumentStore,
  search: SearchIndex,
  prefix: string,
): Promise<AccountRank[]> {
  // Its id alone: findOne would copy the whole document only for it.
  const [id] = (await documents.values('users', { userNameKey: prefix }, 'id')) as string[];
  return id === undefined ? [] : search.accountRanks([id], prefix);
}

/** The accounts the viewer follows that `prefix` finds, as the index ranks them. */
async function followedMatches(
  documents: DocumentStore,
  search: SearchIndex,
  viewerId: string,
  prefix: string,
): Promise<AccountRank[]> {
  const followees = (await documents.values('follows', followeesOf(viewerId), 'followeeId')) as string[];
  return search.followedRanks(viewerId, followees, prefix);
}

/** What showing an account reads: only the page's accounts are read. */
const shownFields = ['status', 'userName', 'name', 'profilePic'] as const;

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
