import { deciderSpec } from '@gram/service-kit/decider-spec';
import { describe, it } from 'vitest';
import type { PostVisibility } from '../posts/post.js';
import { type LikeEvent, likeDecider } from './like.js';

const spec = deciderSpec(likeDecider);
const postId = '01900000-0000-7000-8000-000000000001';
const postAuthorId = '01900000-0000-7000-8000-0000000000a1';
const userId = '01900000-0000-7000-8000-0000000000b2';
const t1 = '2025-01-01T10:00:00.000Z';
const t2 = '2025-01-01T11:00:00.000Z';
const t3 = '2025-01-01T12:00:00.000Z';
const visible: PostVisibility = { visible: true, authorId: postAuthorId, authorIsPrivate: false };
const gone: PostVisibility = { visible: false };

const liked = (likedAt: string): LikeEvent => ({
  type: 'PostLiked',
  data: { postId, userId, postAuthorId, likedAt },
});
const unliked = (unlikedAt: string): LikeEvent => ({
  type: 'PostUnliked',
  data: { postId, userId, unlikedAt },
});
const like = (likedAt: string, post: PostVisibility = visible) => ({
  type: 'LikePost' as const,
  data: { postId, userId, likedAt, post },
});
const unlike = (unlikedAt: string, post: PostVisibility = visible) => ({
  type: 'UnlikePost' as const,
  data: { postId, userId, unlikedAt, post },
});

describe('LikePost', () => {
  it("records PostLiked with the post's author on a first like", () => {
    spec().when(like(t1)).thenRecords(liked(t1));
  });

  it('records nothing when the user already likes the post', () => {
    spec(liked(t1)).when(like(t2)).thenNothingHappens();
  });

  it('records a new PostLiked after an unlike', () => {
    spec(liked(t1), unliked(t2)).when(like(t3)).thenRecords(liked(t3));
  });

  it('answers not found when the post is not visible', () => {
    spec().when(like(t1, gone)).thenFailsWith('PostNotFound');
    spec(liked(t1)).when(like(t2, gone)).thenFailsWith('PostNotFound');
  });
});

describe('UnlikePost', () => {
  it('records PostUnliked when the user likes the post', () => {
    spec(liked(t1)).when(unlike(t2)).thenRecords(unliked(t2));
  });

  it('records nothing when the user never liked the post', () => {
    spec().when(unlike(t1)).thenNothingHappens();
  });

  it('records nothing when the like was already taken back', () => {
    spec(liked(t1), unliked(t2)).when(unlike(t3)).thenNothingHappens();
  });

  it('answers not found when the post is not visible', () => {
    spec(liked(t1)).when(unlike(t2, gone)).thenFailsWith('PostNotFound');
  });
});

describe('RemoveLike', () => {
  const removeLike = (likedAt: string, unlikedAt: string) => ({
    type: 'RemoveLike' as const,
    data: { postId, userId, likedAt, unlikedAt },
  });

  it('records PostUnliked for the like made at the time it names, whatever the post', () => {
    spec(liked(t1)).when(removeLike(t1, t2)).thenRecords(unliked(t2));
  });

  it('records nothing when that like is already ended, or there never was one', () => {
    spec(liked(t1), unliked(t2)).when(removeLike(t1, t3)).thenNothingHappens();
    spec().when(removeLike(t1, t2)).thenNothingHappens();
  });

  it('leaves a later like alone: it is not the one being removed', () => {
    spec(liked(t1), unliked(t2), liked(t3)).when(removeLike(t1, t3)).thenNothingHappens();
  });
});
