import { deciderSpec } from '@gram/service-kit/decider-spec';
import { describe, expect, it } from 'vitest';
import type { PostVisibility } from '../posts/post.js';
import { text } from '../texts/written-texts.testing.js';
import { type CommentEvent, commentDecider, commentVisibility } from './comment.js';

const spec = deciderSpec(commentDecider);
const commentId = '01900000-0000-7000-8000-0000000000c1';
const postId = '01900000-0000-7000-8000-000000000001';
const postAuthorId = '01900000-0000-7000-8000-0000000000a1';
const authorId = '01900000-0000-7000-8000-0000000000b2';
const strangerId = '01900000-0000-7000-8000-0000000000d3';
const t1 = '2025-01-01T10:00:00.000Z';
const t2 = '2025-01-01T11:00:00.000Z';

const added: CommentEvent = {
  type: 'CommentAdded',
  data: { commentId, postId, postAuthorId, authorId, text: 'nice', createdAt: t1 },
};
const deletedBy = (actorId: string): CommentEvent => ({
  type: 'CommentDeleted',
  data: { commentId, postId, deletedBy: actorId, deletedAt: t2 },
});
const add = (post: PostVisibility) => ({
  type: 'AddComment' as const,
  data: { commentId, postId, authorId, text: text('nice'), createdAt: t1, post },
});
const remove = (actorId: string, hidden = false) => ({
  type: 'DeleteComment' as const,
  data: { commentId, actorId, deletedAt: t2, hidden },
});

describe('AddComment', () => {
  it("records CommentAdded with the post's author under a visible post", () => {
    spec()
      .when(add({ visible: true, authorId: postAuthorId, authorIsPrivate: false }))
      .thenRecords(added);
  });

  it('answers post not found under a post that is not visible', () => {
    spec()
      .when(add({ visible: false }))
      .thenFailsWith('PostNotFound');
  });

  it('refuses an id that is already taken', () => {
    spec(added)
      .when(add({ visible: true, authorId: postAuthorId, authorIsPrivate: false }))
      .thenFailsWith('CommentAlreadyExists');
  });
});

describe('mentions of a comment', () => {
  const ada = '01900000-0000-7000-8000-0000000000ad';
  const visible = { visible: true as const, authorId: postAuthorId, authorIsPrivate: false };
  const addText = (written: ReturnType<typeof text>, post: Parameters<typeof add>[0] = visible) => ({
    type: 'AddComment' as const,
    data: { ...add(post).data, text: written },
  });
  const possibleMentions = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `name${i}` }));

  it('records the accounts the text mentions, once each, names of none left out', () => {
    const mentions = [{ key: 'ada.', userId: ada }, { key: 'nobody' }, { key: 'ada', userId: ada }];
    spec()
      .when(addText(text('@ada. @nobody @ada', mentions)))
      .thenRecords({ ...added, data: { ...added.data, text: '@ada. @nobody @ada', mentions: [ada] } });
  });

  it('accepts 20 possible mentions and refuses 21, naming the text', () => {
    spec()
      .when(addText(text('nice', possibleMentions(20))))
      .thenRecords(added);
    spec()
      .when(addText(text('nice', possibleMentions(21))))
      .thenFailsWith('TooManyMentions', 'text');
  });

  it('judges the text before the post, as the other rules of the input', () => {
    spec()
      .when(addText(text('nice', possibleMentions(21)), { visible: false }))
      .thenFailsWith('TooManyMentions', 'text');
  });
});

describe('DeleteComment', () => {
  it("lets the comment's author delete it", () => {
    spec(added).when(remove(authorId)).thenRecords(deletedBy(authorId));
  });

  it("lets the post's author delete it", () => {
    spec(added).when(remove(postAuthorId)).thenRecords(deletedBy(postAuthorId));
  });

  it('forbids anybody else', () => {
    spec(added).when(remove(strangerId)).thenFailsWith('NotAllowedToDeleteComment');
  });

  it('answers not found for a missing or already deleted comment', () => {
    spec().when(remove(authorId)).thenFailsWith('CommentNotFound');
    spec(added, deletedBy(authorId)).when(remove(authorId)).thenFailsWith('CommentNotFound');
  });

  it('answers not found for a comment hidden by its post or its author, before judging who asks', () => {
    spec(added).when(remove(authorId, true)).thenFailsWith('CommentNotFound');
    spec(added).when(remove(strangerId, true)).thenFailsWith('CommentNotFound');
  });
});

describe('commentVisibility', () => {
  const live = commentDecider.evolve(commentDecider.initialState(), added);
  const visiblePost = { visible: true as const, authorId: postAuthorId, authorIsPrivate: true };

  it('shows a live comment of an active account under a visible post, with where it lives', () => {
    expect(commentVisibility(live, 'active', visiblePost)).toEqual({
      visible: true,
      postId,
      postAuthorId,
      postAuthorIsPrivate: true,
      authorId,
    });
  });

  it('hides a missing or deleted comment, one of a deleted account, and one under a hidden post', () => {
    expect(commentVisibility(commentDecider.initialState(), 'active', visiblePost)).toEqual({
      visible: false,
    });
    expect(
      commentVisibility(commentDecider.evolve(live, deletedBy(authorId)), 'active', visiblePost),
    ).toEqual({
      visible: false,
    });
    expect(commentVisibility(live, 'deleted', visiblePost)).toEqual({ visible: false });
    expect(commentVisibility(live, 'active', { visible: false })).toEqual({ visible: false });
  });
});

describe('RemoveComment', () => {
  const removal = (by: string) => ({
    type: 'RemoveComment' as const,
    data: { commentId, deletedBy: by, deletedAt: t2 },
  });

  it("deletes a live comment on behalf of the post's author or of its own author", () => {
    spec(added).when(removal(postAuthorId)).thenRecords(deletedBy(postAuthorId));
    spec(added).when(removal(authorId)).thenRecords(deletedBy(authorId));
  });

  it('records nothing for a comment already deleted or never added: run again, it changes nothing', () => {
    spec(added, deletedBy(authorId)).when(removal(postAuthorId)).thenNothingHappens();
    spec().when(removal(postAuthorId)).thenNothingHappens();
  });

  it('lets nobody else delete it', () => {
    spec(added).when(removal(strangerId)).thenFailsWith('NotAllowedToDeleteComment');
  });
});
