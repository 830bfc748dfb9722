import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventStore, openSqliteEventStore, type ReadStreamOptions } from '@gram/event-store';
import { streamIds, toStoredEvent } from '@gram/events';
import { loadAggregate, newId } from '@gram/service-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FoldedStreams } from './folded-streams.js';
import { type PostEvent, postDecider } from './posts/post.js';

let dir: string;
let store: EventStore;
/** the real store, with the stream reads of FoldedStreams recorded and, when a test asks, held back */
let observed: EventStore;
let reads: (number | undefined)[];
let holdNextRead: Promise<void> | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gram-folded-'));
  store = openSqliteEventStore({ path: join(dir, 'events.sqlite') });
  reads = [];
  observed = Object.assign(Object.create(store) as EventStore, {
    readStream: async (streamId: string, options?: ReadStreamOptions) => {
      reads.push(options?.fromRevision);
      const result = await store.readStream(streamId, options);
      const hold = holdNextRead;
      holdNextRead = undefined;
      if (hold) await hold;
      return result;
    },
  });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const postId = newId();
const authorId = newId();
const stream = streamIds.post(postId);
const at = '2025-01-01T10:00:00.000Z';
const events: PostEvent[] = [
  {
    type: 'PostCreated',
    data: { postId, authorId, photo: 'https://img.example/a.jpg', caption: 'a', createdAt: at },
  },
  { type: 'PostEdited', data: { postId, authorId, caption: 'b', editedAt: at } },
  { type: 'PostDeleted', data: { postId, authorId, deletedAt: at } },
];
const append = (event: PostEvent) =>
  store.appendToStream(stream, [toStoredEvent(event)], { expectedRevision: 'any' });

describe('FoldedStreams', () => {
  it('gives exactly the state a full fold gives, after every append, reading only what is new', async () => {
    const posts = new FoldedStreams(observed, postDecider);
    expect(await posts.load(stream)).toEqual({ status: 'none' });
    for (const event of events) {
      await append(event);
      const full = await loadAggregate(store, stream, postDecider);
      expect(await posts.load(stream)).toEqual(full.state);
    }
    expect(await posts.load(stream)).toEqual({ status: 'deleted', postId, authorId });
    expect(reads).toEqual([0, 0, 1, 2, 3]);
  });

  it('asks the store every time, so a write by anybody else is seen at once', async () => {
    const posts = new FoldedStreams(observed, postDecider);
    await append(events[0] as PostEvent);
    expect((await posts.load(stream)).status).toBe('live');
    await append(events[2] as PostEvent);
    expect((await posts.load(stream)).status).toBe('deleted');
  });

  it('stays exact for streams it had to forget', async () => {
    const posts = new FoldedStreams(observed, postDecider, 1);
    await append(events[0] as PostEvent);
    await posts.load(stream);
    await posts.load(streamIds.post(newId()));
    await append(events[1] as PostEvent);
    expect(await posts.load(stream)).toMatchObject({ status: 'live', caption: 'b' });
  });

  it('never goes back to an older fold when concurrent loads finish out of order', async () => {
    const posts = new FoldedStreams(observed, postDecider);
    await append(events[0] as PostEvent);
    let release = () => {};
    holdNextRead = new Promise((resolve) => {
      release = resolve;
    });
    const older = posts.load(stream);
    await append(events[1] as PostEvent);
    expect(await posts.load(stream)).toMatchObject({ caption: 'b' });
    release();
    expect(await older).toMatchObject({ caption: 'a' });
    reads = [];
    expect(await posts.load(stream)).toMatchObject({ caption: 'b' });
    // The newer fold (revision 1) was kept: the next load reads from revision 2.
    expect(reads).toEqual([2]);
  });
});
