import type { EventType } from '@gram/events';
import { listsOf } from '../store/document-store.js';
import type { Ranking } from '../store/rankings.js';
import { blocks } from './blocks/blocks.js';
import { engagement } from './engagement/engagement.js';
import { explore } from './explore/explore.js';
import { follows } from './follows/follows.js';
import { mutes } from './mutes/mutes.js';
import { posts } from './posts/posts.js';
import { profiles } from './profiles/profiles.js';
import { rankings as postRankings } from './rankings/rankings.js';
import type { Counter, RegisteredReadModel, SortedList } from './read-model.js';
import { search } from './search/search.js';
import { tags } from './tags/tags.js';

/**
 * Every read model, in the order the projector runs their handlers of one event: a read model reads the
 * documents of those before it (posts read whether the author is deleted, follows where a post now is), so
 * each comes after what it reads (mutes and blocks reconcile the feeds follows keep; tags, explore and search read
 * the author's profile and the post; the rankings read the counts and the documents of tags and explore). Adding a read model is adding its folder and registering it here.
 */
export const readModels: readonly RegisteredReadModel[] = [
  profiles,
  posts,
  engagement,
  follows,
  mutes,
  blocks,
  tags,
  explore,
  postRankings,
  search,
];

/** Every count the read models keep, which every store is made with: a counted write moves its counts. */
export const counters: readonly Counter[] = readModels.flatMap((model) => model.counters);

/** Every list the read models read (their counters' and those they declare), which every store is made with. */
export const lists: readonly SortedList[] = listsOf(
  counters,
  readModels.flatMap((model) => model.lists ?? []),
);

/** Every ranking of posts the read models keep, which every store is made with. */
export const rankings: readonly Ranking[] = readModels.flatMap((model) => model.rankings ?? []);

/**
 * Events on the public topics that no read model shows, each with its reason; with the registry, every public
 * event type is accounted for (a unit test checks it), so a new one cannot go unnoticed.
 */
export const ignoredEvents: Readonly<Partial<Record<EventType, string>>> = {
  MediaUploaded: 'the media service answers for its own uploads; no read model here shows them',
  MediaErased:
    "an upload's URLs are here only as posts' photos and profile pictures: the uploader's UserDeleted, which follows, hides its posts and forgets its picture",
};
