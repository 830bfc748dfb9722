import { type EventStore, openSqliteEventStore } from '@gram/event-store';
import { type EventOfType, toStoredEvent } from '@gram/events';
import { describe, expect, it } from 'vitest';
import { handleCommand } from './command-handler.js';
import { type Decider, DomainError } from './domain.js';

// A tally of one user's likes of one post, with a cap: enough of a decider to see which state
// each decision was made on and what the command handler hands back.
const postId = '01900000-0000-7000-8000-000000000001';
const userId = '01900000-0000-7000-8000-0000000000b2';
const at = '2025-01-01T10:00:00.000Z';
const streamId = `like-${postId}_${userId}`;

type Liked = EventOfType<'PostLiked'>;
type Tally = { likes: number };
type Like = { type: 'Like'; data: { upTo: number } };

const liked: Liked = { type: 'PostLiked', data: { postId, userId, postAuthorId: userId, likedAt: at } };

const tallyDecider: Decider<Like, Tally, Liked, DomainError<'Refused'>> = {
  initialState: () => ({ likes: 0 }),
  evolve: (state) => ({ likes: state.likes + 1 }),
  decide: (command, state) => {
    if (command.data.upTo < 0) return new DomainError('Refused', 'no negative caps');
    return state.likes < command.data.upTo ? [liked, liked] : [];
  },
};

const like = (upTo: number): Like => ({ type: 'Like', data: { upTo } });

describe('handleCommand', () => {
  it('hands back the state after the command: the state decided on, folded with the events appended', async () => {
    const store = openSqliteEventStore({ path: ':memory:' });
    await store.appendToStream(streamId, [toStoredEvent(liked)], { expectedRevision: 'no_stream' });
    const result = await handleCommand(store, streamId, tallyDecider, like(2));
    expect(result).toMatchObject({
      streamId,
      events: [liked, liked],
      streamRevision: 2,
      state: { likes: 3 },
    });
  });

  it('hands back the state decided on when the command changes nothing', async () => {
    const store = openSqliteEventStore({ path: ':memory:' });
    await store.appendToStream(streamId, [toStoredEvent(liked)], { expectedRevision: 'no_stream' });
    const result = await handleCommand(store, streamId, tallyDecider, like(1));
    expect(result).toMatchObject({ events: [], streamRevision: 0, state: { likes: 1 } });
  });

  it('hands back the state of the decision that was appended when a lost race was decided again', async () => {
    const inner = openSqliteEventStore({ path: ':memory:' });
    let raced = false;
    // Somebody else appends between this command's read and its append, once.
    const store: EventStore = Object.create(inner, {
      appendToStream: {
        value: async (...args: Parameters<EventStore['appendToStream']>) => {
          if (!raced) {
            raced = true;
            await inner.appendToStream(streamId, [toStoredEvent(liked)], { expectedRevision: 'no_stream' });
          }
          return inner.appendToStream(...args);
        },
      },
    });
    const result = await handleCommand(store, streamId, tallyDecider, like(5));
    expect(result).toMatchObject({ events: [liked, liked], streamRevision: 2, state: { likes: 3 } });
  });

  it('decides a command on a new stream without reading it, and reads it when the stream exists after all', async () => {
    const inner = openSqliteEventStore({ path: ':memory:' });
    let reads = 0;
    const store: EventStore = Object.create(inner, {
      readStream: {
        value: (...args: Parameters<EventStore['readStream']>) => {
          reads++;
          return inner.readStream(...args);
        },
      },
    });
    const fresh = await handleCommand(store, streamId, tallyDecider, like(2), {}, { newStream: true });
    expect(fresh).toMatchObject({ events: [liked, liked], streamRevision: 1, state: { likes: 2 } });
    expect(reads).toBe(0);
    // The same id again: the append expecting no stream is refused, and the retry decides on what is there.
    const again = await handleCommand(store, streamId, tallyDecider, like(3), {}, { newStream: true });
    expect(again).toMatchObject({ events: [liked, liked], streamRevision: 3, state: { likes: 4 } });
    expect(reads).toBe(1);
  });

  it('hands back the domain error when the decider says no, and appends nothing', async () => {
    const store = openSqliteEventStore({ path: ':memory:' });
    const result = await handleCommand(store, streamId, tallyDecider, like(-1));
    expect(result).toMatchObject({ code: 'Refused' });
    expect(await store.readStream(streamId)).toEqual([]);
  });

  describe('with If-Match', () => {
    const likedOnce = async () => {
      const store = openSqliteEventStore({ path: ':memory:' });
      await store.appendToStream(streamId, [toStoredEvent(liked)], { expectedRevision: 'no_stream' });
      return store;
    };

    it('appends when the stream is still at the ETag, and hands back the new revision', async () => {
      const store = await likedOnce();
      const result = await handleCommand(store, streamId, tallyDecider, like(2), {}, { ifMatch: ['"0"'] });
      expect(result).toMatchObject({ streamRevision: 2, publicRevision: 2 });
    });

    it('answers 412 precondition-failed and appends nothing when the stream moved past the ETag', async () => {
      const store = await likedOnce();
      const stale = handleCommand(store, streamId, tallyDecider, like(5), {}, { ifMatch: ['"-1"', 'x'] });
      await expect(stale).rejects.toMatchObject({ status: 412, code: 'precondition-failed' });
      expect(await store.readStream(streamId)).toHaveLength(1);
    });

    it('answers 412 to a write that raced in between its read and its append', async () => {
      const inner = await likedOnce();
      let raced = false;
      const store: EventStore = Object.create(inner, {
        appendToStream: {
          value: async (...args: Parameters<EventStore['appendToStream']>) => {
            if (!raced) {
              raced = true;
              await inner.appendToStream(streamId, [toStoredEvent(liked)], { expectedRevision: 0 });
            }
            return inner.appendToStream(...args);
          },
        },
      });
      const write = handleCommand(store, streamId, tallyDecider, like(5), {}, { ifMatch: ['"0"'] });
      await expect(write).rejects.toMatchObject({ status: 412 });
      expect(await inner.readStream(streamId)).toHaveLength(2);
    });

    it('answers 412 to a stale ETag even when the command would change nothing', async () => {
      const store = await likedOnce();
      const noOp = handleCommand(store, streamId, tallyDecider, like(1), {}, { ifMatch: ['"7"'] });
      await expect(noOp).rejects.toMatchObject({ status: 412 });
    });

    it('hands back the domain error of a refused command whatever the ETag', async () => {
      const store = await likedOnce();
      const result = await handleCommand(store, streamId, tallyDecider, like(-1), {}, { ifMatch: ['"7"'] });
      expect(result).toMatchObject({ code: 'Refused' });
    });
  });
});
