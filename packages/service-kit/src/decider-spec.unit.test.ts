import type { EventOfType } from '@gram/events';
import { describe, expect, it } from 'vitest';
import { deciderSpec } from './decider-spec.js';
import { type Decider, DomainError } from './domain.js';

// A post's like count with a cap: the smallest decider that records, refuses naming a field, and has a state.
const postId = '01900000-0000-7000-8000-000000000001';
const userId = '01900000-0000-7000-8000-0000000000b2';
const at = '2025-01-01T10:00:00.000Z';

type Liked = EventOfType<'PostLiked'>;
type Like = { type: 'Like'; data: { upTo: number } };
type Tally = { likes: number };

const liked: Liked = { type: 'PostLiked', data: { postId, userId, postAuthorId: userId, likedAt: at } };

const tallyDecider: Decider<Like, Tally, Liked, DomainError<'CapTooLow'>> = {
  initialState: () => ({ likes: 0 }),
  evolve: (state) => ({ likes: state.likes + 1 }),
  decide: (command, state) => {
    if (command.data.upTo < 0) return new DomainError('CapTooLow', 'a cap is never negative', 'upTo');
    return state.likes < command.data.upTo ? [liked] : [];
  },
};

const spec = deciderSpec(tallyDecider);
const like = (upTo: number): Like => ({ type: 'Like', data: { upTo } });

describe('deciderSpec', () => {
  it('passes when the decision is the events expected, and fails on others or on an error', () => {
    spec().when(like(1)).thenRecords(liked);
    spec(liked).when(like(1)).thenNothingHappens();
    expect(() => spec().when(like(1)).thenNothingHappens()).toThrow();
    expect(() => spec().when(like(-1)).thenRecords(liked)).toThrow();
  });

  it('checks the code and the field an error names, and fails on events', () => {
    spec().when(like(-1)).thenFailsWith('CapTooLow', 'upTo');
    expect(() => spec().when(like(-1)).thenFailsWith('CapTooLow')).toThrow();
    expect(() => spec().when(like(-1)).thenFailsWith('CapTooLow', 'other')).toThrow();
    expect(() => spec().when(like(1)).thenFailsWith('CapTooLow', 'upTo')).toThrow();
  });

  it('checks the state after the given events and the events decided, and fails on an error', () => {
    spec(liked).when(like(5)).thenStateIs({ likes: 2 });
    spec(liked).when(like(1)).thenStateIs({ likes: 1 });
    expect(() => spec(liked).when(like(5)).thenStateIs({ likes: 1 })).toThrow();
    expect(() => spec().when(like(-1)).thenStateIs({ likes: 0 })).toThrow();
  });
});
