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

  it('hands back the domain error when the decider says no, and appends nothing', async () => {
    const store = openSqliteEventStore({ path: ':memory:' });
    const result = await handleCommand(store, streamId, tallyDecider, like(-1));
    expect(result).toMatchObject({ code: 'Refused' });
    expect(await store.readStream(streamId)).toEqual([]);
  });
});
