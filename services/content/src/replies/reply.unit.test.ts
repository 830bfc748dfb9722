import { deciderSpec } from '@gram/service-kit/decider-spec';
import { describe, it } from 'vitest';
import type { CommentVisibility } from '../comments/comment.js';
import { text } from '../texts/written-texts.testing.js';
import { type ReplyEvent, replyDecider } from './reply.js';

const spec = deciderSpec(replyDecider);
const replyId = '01900000-0000-7000-8000-0000000000e1';
const commentId = '01900000-0000-7000-8000-0000000000c1';
const postId = '01900000-0000-7000-8000-000000000001';
const postAuthorId = '01900000-0000-7000-8000-0000000000a1';
const commentAuthorId = '01900000-0000-7000-8000-0000000000c2';
const authorId = '01900000-0000-7000-8000-0000000000b2';
const strangerId = '01900000-0000-7000-8000-0000000000d3';
const t1 = '2025-01-01T10:00:00.000Z';
const t2 = '2025-01-01T11:00:00.000Z';

const added: ReplyEvent = {
  type: 'ReplyAdded',
  data: { replyId, commentId, postId, postAuthorId, authorId, text: 'thanks', createdAt: t1 },
};
const deletedBy = (actorId: string): ReplyEvent => ({
  type: 'ReplyDeleted',
  data: { replyId, commentId, postId, deletedBy: actorId, deletedAt: t2 },
});
const add = (comment: CommentVisibility) => ({
  type: 'AddReply' as const,
  data: { replyId, commentId, authorId, text: text('thanks'), createdAt: t1, comment },
});
const remove = (actorId: string, hidden = false) => ({
  type: 'DeleteReply' as const,
  data: { replyId, actorId, deletedAt: t2, hidden },
});

describe('AddReply', () => {
  it("records ReplyAdded with the comment's post and the post's author under a visible comment", () => {
    spec()
      .when(
        add({ visible: true, postId, postAuthorId, postAuthorIsPrivate: false, authorId: commentAuthorId }),
      )
      .thenRecords(added);
  });

  it('answers comment not found under a comment that is not visible (deleted, or its post deleted)', () => {
    spec()
      .when(add({ visible: false }))
      .thenFailsWith('CommentNotFound');
  });

  it('refuses an id that is already taken', () => {
    spec(added)
      .when(
        add({ visible: true, postId, postAuthorId, postAuthorIsPrivate: false, authorId: commentAuthorId }),
      )
      .thenFailsWith('ReplyAlreadyExists');
  });
});

describe('mentions of a reply', () => {
  const ada = '01900000-0000-7000-8000-0000000000ad';
  const grace = '01900000-0000-7000-8000-0000000000ce';
  const visible: CommentVisibility = {
    visible: true,
    postId,
    postAuthorId,
    postAuthorIsPrivate: false,
    authorId: commentAuthorId,
  };
  const addText = (written: ReturnType<typeof text>) => ({
    type: 'AddReply' as const,
    data: { ...add(visible).data, text: written },
  });
  const possibleMentions = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `name${i}` }));

  it('records the accounts the text mentions, once each, in order of first appearance', () => {
    const mentions = [{ key: 'grace', userId: grace }, { key: 'ada', userId: ada }, { key: 'nobody' }];
    spec()
      .when(addText(text('@grace @ada @nobody', mentions)))
      .thenRecords({
        ...added,
        data: { ...added.data, text: '@grace @ada @nobody', mentions: [grace, ada] },
      });
  });

  it('accepts 20 possible mentions and refuses 21, naming the text', () => {
    spec()
      .when(addText(text('thanks', possibleMentions(20))))
      .thenRecords(added);
    spec()
      .when(addText(text('thanks', possibleMentions(21))))
      .thenFailsWith('TooManyMentions', 'text');
  });
});

describe('DeleteReply', () => {
  it("lets the reply's author delete it", () => {
    spec(added).when(remove(authorId)).thenRecords(deletedBy(authorId));
  });

  it("lets the post's author delete it", () => {
    spec(added).when(remove(postAuthorId)).thenRecords(deletedBy(postAuthorId));
  });

  it("forbids anybody else, the comment's author included", () => {
    spec(added).when(remove(strangerId)).thenFailsWith('NotAllowedToDeleteReply');
    spec(added).when(remove(commentAuthorId)).thenFailsWith('NotAllowedToDeleteReply');
  });

  it('answers not found for a missing or already deleted reply', () => {
    spec().when(remove(authorId)).thenFailsWith('ReplyNotFound');
    spec(added, deletedBy(authorId)).when(remove(authorId)).thenFailsWith('ReplyNotFound');
  });

  it('answers not found for a reply hidden by its comment, post or author, before judging who asks', () => {
    spec(added).when(remove(authorId, true)).thenFailsWith('ReplyNotFound');
    spec(added).when(remove(strangerId, true)).thenFailsWith('ReplyNotFound');
  });
});

describe('RemoveReply', () => {
  const removal = (by: string) => ({
    type: 'RemoveReply' as const,
    data: { replyId, deletedBy: by, deletedAt: t2 },
  });

  it("deletes a live reply on behalf of the post's author or of its own author", () => {
    spec(added).when(removal(postAuthorId)).thenRecords(deletedBy(postAuthorId));
    spec(added).when(removal(authorId)).thenRecords(deletedBy(authorId));
  });

  it('records nothing for a reply already deleted or never added: run again, it changes nothing', () => {
    spec(added, deletedBy(authorId)).when(removal(postAuthorId)).thenNothingHappens();
    spec().when(removal(postAuthorId)).thenNothingHappens();
  });

  it("lets nobody else delete it, the comment's author included", () => {
    spec(added).when(removal(strangerId)).thenFailsWith('NotAllowedToDeleteReply');
    spec(added).when(removal(commentAuthorId)).thenFailsWith('NotAllowedToDeleteReply');
  });
});
