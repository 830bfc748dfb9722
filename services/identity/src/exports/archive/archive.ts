import { type Readable, Transform, type TransformCallback, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import type { EventStore, RecordedEvent } from '@gram/event-store';
import { type DomainEvent, fromStoredEvent, streamIds, withoutSecrets } from '@gram/events';
// yazl rather than archiver: it streams each entry through deflate with backpressure and opens nothing before
// its turn, with one small dependency, where archiver brings a dozen packages (globbing, tar, lodash) for
// features an export never uses.
import { ZipFile } from 'yazl';
import { accountEvents } from './account-events.js';
import {
  exportedAccount,
  exportedComment,
  exportedFollow,
  exportedLike,
  exportedPost,
  exportedReply,
  type ItemFold,
  standingItems,
  standingUploads,
} from './exported-items.js';
import { AccountHoldings, type Upload } from './holdings.js';
import { jsonArrayStream, jsonDocumentStream, jsonLinesStream } from './json-stream.js';

/** An account as followers.json lists it: the fields of a UserSummary. */
export interface Follower {
  id: string;
  userName: string;
  name: string;
  profilePic: string;
}

/** What an archive is read from. Each mode passes its own: in-process queries embedded, HTTP distributed. */
export interface ArchiveSources {
  /** identity's store: personal fields decrypted */
  store: EventStore;
  /** the accounts following `accountId`, as UserSummary-like objects { id, userName, name, profilePic }, in any order */
  followersOf(accountId: string): AsyncIterable<Follower>;
  /** the bytes of a stored media file by its storage key (the `key` of a rendition in MediaUploaded), or undefined when gone */
  mediaFile(key: string): Promise<Readable | undefined>;
}

/** The file name extension of each upload format, as the media service names its files. */
const extensions: Record<Upload['format'], string> = { jpeg: 'jpg', png: 'png', webp: 'webp' };

/** A file of the archive, read when its turn comes. */
interface Entry {
  name: string;
  content: Readable;
  /** photos are compressed already: deflating them again costs time and saves nothing */
  stored?: boolean;
}

/**
 * Writes the account's archive as a ZIP to `output` (streamed); resolves with the archive's size in bytes once
 * `output` has received all of it. Nothing is held whole: the events are read a page at a time, each list item by
 * item, each photo as it streams, so memory stays flat however large the account. On failure or abort `output`
 * is destroyed and the promise rejects. Rejects with AccountNotFound for an account that does not exist (any more).
 */
export async function writeExportArchive(
  accountId: string,
  sources: ArchiveSources,
  output: Writable,
  options: { signal?: AbortSignal } = {},
): Promise<{ bytes: number }> {
  // Either half (reading the sources, writing the output) failing stops the other.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const zip = new ZipFile();
  // yazl reports a failure of its own on the ZipFile, not on the stream that is piped
  zip.on('error', (error: Error) => (zip.outputStream as Readable).destroy(error));
  const size = new ByteCounter();
  const writing = pipeline(zip.outputStream, size, output, { signal });
  const adding = addEntries(zip, archiveEntries(accountId, sources, signal), signal);
  try {
    await Promise.all([writing, adding]);
  } catch (error) {
    stop.abort(error);
    await Promise.allSettled([writing, adding]);
    throw error;
  }
  return { bytes: size.bytes };
}

/**
 * Adds the entries one at a time, each once the one before has been read to its end: a photo's download starts
 * only when the archive is ready for its bytes, and the lists after events.jsonl find the ids it noted.
 */
async function addEntries(zip: ZipFile, entries: AsyncIterable<Entry>, signal: AbortSignal): Promise<void> {
  for await (const { name, content, stored } of entries) {
    // yazl keeps each entry's read function until the archive ends (for the central directory): handed over
    // and forgotten, the spent stream is not kept with it, some KB per photo of a large account.
    let unread: Readable | undefined = content;
    zip.addReadStreamLazy(name, { compress: !stored }, (give) => {
      const stream = unread;
      unread = undefined;
      give(null, stream as Readable);
    });
    try {
      // yazl pipes the content and so never hears of its failure: waiting for its end here does.
      await finished(content, { signal });
    } catch (error) {
      content.destroy();
      throw error;
    }
  }
  zip.end();
}

async function* archiveEntries(
  accountId: string,
  { store, followersOf, mediaFile }: ArchiveSources,
  signal: AbortSignal,
): AsyncGenerator<Entry> {
  yield { name: 'account.json', content: jsonDocumentStream(await exportedAccount(store, accountId)) };
  const holdings = new AccountHoldings();
  yield {
    name: 'events.jsonl',
    content: jsonLinesStream(eventLines(accountEvents(store, accountId, signal), holdings)),
  };
  // Each list below folds the streams that events.jsonl, read to its end by now, noted.
  const standing = <TItem, TEvent extends DomainEvent>(
    streams: Iterable<string>,
    fold: ItemFold<TItem, TEvent>,
  ) => jsonArrayStream(standingItems(store, streams, fold, signal));
  yield { name: 'posts.json', content: standing(map(holdings.posts, streamIds.post), exportedPost) };
  yield {
    name: 'comments.json',
    content: standing(map(holdings.comments, streamIds.comment), exportedComment),
  };
  yield { name: 'replies.json', content: standing(map(holdings.replies, streamIds.reply), exportedReply) };
  const likes = map(holdings.likedPosts, (postId) => streamIds.like(postId, accountId));
  yield { name: 'likes.json', content: standing(likes, exportedLike) };
  const follows = map(holdings.followees, (followeeId) => streamIds.follow(accountId, followeeId));
  yield { name: 'following.json', content: standing(follows, exportedFollow) };
  yield { name: 'followers.json', content: jsonArrayStream(followers(followersOf(accountId))) };
  // Blocks and mutes do not exist yet: these lists stay empty until they do.
  yield { name: 'blocks.json', content: jsonArrayStream(nothing()) };
  yield { name: 'mutes.json', content: jsonArrayStream(nothing()) };
  for await (const { mediaId, originalKey, format } of standingUploads(store, holdings.uploads, signal)) {
    const file = await mediaFile(originalKey);
    // A file gone from the storage (its upload taken back) leaves nothing to export.
    if (!file) continue;
    yield { name: `media/${mediaId}-original.${extensions[format]}`, content: file, stored: true };
  }
}

/** A line of events.jsonl per event the catalogue knows, its secrets left out; each noted in `holdings`. */
async function* eventLines(events: AsyncIterable<RecordedEvent>, holdings: AccountHoldings) {
  for await (const recorded of events) {
    const event = fromStoredEvent(recorded);
    // An event this build does not know could hold a secret it cannot tell: it is left out rather than shown.
    if (!event) continue;
    holdings.note(event);
    const { position, streamId, revision, type, createdAt } = recorded;
    yield {
      position,
      streamId,
      revision,
      type,
      data: withoutSecrets(type, event.data),
      recordedAt: createdAt.toISOString(),
    };
  }
}

/** Only the fields of a UserSummary, whatever else a source gives. */
async function* followers(source: AsyncIterable<Follower>): AsyncGenerator<Follower> {
  for await (const { id, userName, name, profilePic } of source) yield { id, userName, name, profilePic };
}

async function* nothing(): AsyncGenerator<never> {}

function* map<T, U>(items: Iterable<T>, f: (item: T) => U): Generator<U> {
  for (const item of items) yield f(item);
}

/** Passes bytes through, counting them: the archive's size is what reached the output. */
class ByteCounter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}
