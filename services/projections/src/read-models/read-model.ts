import type { DomainEvent, EventType, PayloadOfType } from '@gram/events';
import type {
  CollectionName,
  Counter,
  Doc,
  DocumentStore,
  FeedStore,
  SortedList,
} from '../store/document-store.js';
import type { PostRankings, Ranking } from '../store/rankings.js';
import type { SearchIndex } from '../store/search-index.js';

export type { Counter, SortedList } from '../store/document-store.js';

/** What a handler may use: the store of the generation it writes and the projection's settings. */
export interface ProjectionContext {
  readonly documents: DocumentStore;
  readonly feeds: FeedStore;
  readonly search: SearchIndex;
  readonly rankings: PostRankings;
  /** authors with more followers than this are not fanned out on write; feeds merge their posts at read time */
  readonly hotAuthorThreshold: number;
  /** entries per home feed (the feed store's cap): how many recent posts a follow pulls in */
  readonly feedCap: number;
}

/** One event type's handler: the payload at the catalogue's version and the revision of its stream. */
export type Handler<T extends EventType> = (
  data: PayloadOfType<T>,
  context: ProjectionContext,
  rev: number,
) => Promise<void>;

/** The state verify folds the log into, one map of documents per collection, without the projection handlers. */
export type LogDocuments = Readonly<Record<CollectionName, Map<string, Doc>>>;

/**
 * What verify recounts a read model's counts from: its documents folded straight from the event log, with the
 * fields the counters' filters read (`fold`), then the flags other streams decide, set once the whole log is
 * folded (`settle`: a deletion later in the log hides what came before it).
 */
export interface LogFold {
  fold(event: DomainEvent, streamId: string, log: LogDocuments): void;
  settle?(log: LogDocuments): void;
  /** the ids of the documents of `collection` a query serves (only those are expected to carry counts) */
  visible?: Partial<Record<CollectionName, (log: LogDocuments, visible: VisibleIds) => Iterable<string>>>;
}

/** The ids verify expects, per collection carrying counts, as computed so far in registry order. */
export type VisibleIds = Partial<Record<CollectionName, ReadonlySet<string>>>;

/**
 * A read model: the event types it handles (declared, as emmett's `canHandle`), a handler for each, the counts
 * it keeps and how verify recounts them from the log. Read models are registered in registry.ts; the
 * projector runs the handlers of an event in registration order.
 */
export interface ReadModel<T extends EventType = EventType> {
  readonly name: string;
  /** the collections whose documents are its own (others' it only reads, or writes counts and flags into) */
  readonly documents: readonly CollectionName[];
  readonly canHandle: readonly T[];
  readonly handlers: { readonly [K in T]: Handler<K> };
  readonly counters: readonly Counter[];
  /**
   * The lists its handlers and queries read besides its counters' (each counter's documents are a list
   * already): every filter a handler or query reads documents by, so that a store keeping them as indexes
   * answers each with one range read.
   */
  readonly lists?: readonly SortedList[];
  /** the rankings of posts its documents are the members of (see store/rankings.ts) */
  readonly rankings?: readonly Ranking[];
  /**
   * Whether its handlers keep nothing but what a rebuild's store builds whole at the end of its fold (the
   * rankings: rebuildInMemory): a rebuild's projector does not run them (ProjectorOptions.rebuild).
   */
  readonly builtWholeOnRebuild?: boolean;
  readonly log: LogFold;
}

/** A read model as the registry holds it: its handlers keyed by any event type. */
export interface RegisteredReadModel extends Omit<ReadModel, 'handlers'> {
  readonly handlers: { readonly [K in EventType]?: Handler<K> };
}

/** Declares a read model; the types make its handlers exactly those of its `canHandle`. */
export function defineReadModel<const T extends EventType>(model: ReadModel<T>): RegisteredReadModel {
  return model;
}
