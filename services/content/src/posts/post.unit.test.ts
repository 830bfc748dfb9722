import { deciderSpec } from '@gram/service-kit/decider-spec';
import { describe, expect, it } from 'vitest';
import { type PostEvent, postDecider, postVisibility } from './post.js';

const spec = deciderSpec(postDecider);
const postId = '01900000-0000-7000-8000-000000000001';
const authorId = '01900000-0000-7000-8000-0000000000a1';
const strangerId = '01900000-0000-7000-8000-0000000000b2';
const createdAt = '2025-01-01T10:00:00.000Z';
const later = '2025-01-01T11:00:00.000Z';

const created: PostEvent = {
  type: 'PostCreated',
  data: { postId, authorId, photo: 'https://img.example/a.jpg', caption: 'sunset', createdAt },
};
const deleted: PostEvent = { type: 'PostDeleted', data: { postId, authorId, deletedAt: later } };

describe('CreatePost', () => {
  it('records PostCreated for a new post', () => {
    spec()
      .when({
        type: 'CreatePost',
        data: { postId, authorId, photo: 'https://img.example/a.jpg', caption: 'sunset', createdAt },
      })
      .thenRecords(created);
  });

  it('refuses an id that is already taken', () => {
    spec(created)
      .when({
        type: 'CreatePost',
        data: { postId, authorId, photo: 'https://x.example/b.png', caption: '', createdAt },
      })
      .thenFailsWith('PostAlreadyExists');
  });
});

describe('EditPost', () => {
  it('records only the fields that change', () => {
    spec(created)
      .when({ type: 'EditPost', data: { postId, actorId: authorId, caption: 'dawn', editedAt: later } })
      .thenRecords({ type: 'PostEdited', data: { postId, authorId, caption: 'dawn', editedAt: later } });
  });

  it('records photo and caption together when both change', () => {
    spec(created)
      .when({
        type: 'EditPost',
        data: { postId, actorId: authorId, photo: 'http://img.example/c.webp', caption: '', editedAt: later },
      })
      .thenRecords({
        type: 'PostEdited',
        data: { postId, authorId, photo: 'http://img.example/c.webp', caption: '', editedAt: later },
      });
  });

  it('records nothing when nothing changes', () => {
    spec(created)
      .when({
        type: 'EditPost',
        data: {
          postId,
          actorId: authorId,
          photo: 'https://img.example/a.jpg',
          caption: 'sunset',
          editedAt: later,
        },
      })
      .thenNothingHappens();
    spec(created)
      .when({ type: 'EditPost', data: { postId, actorId: authorId, editedAt: later } })
      .thenNothingHappens();
  });

  it('compares with the latest edit, not the original', () => {
    spec(created, { type: 'PostEdited', data: { postId, authorId, caption: 'dawn', editedAt: later } })
      .when({ type: 'EditPost', data: { postId, actorId: authorId, caption: 'sunset', editedAt: later } })
      .thenRecords({ type: 'PostEdited', data: { postId, authorId, caption: 'sunset', editedAt: later } });
  });

  it('lets only the author edit', () => {
    spec(created)
      .when({ type: 'EditPost', data: { postId, actorId: strangerId, caption: 'mine now', editedAt: later } })
      .thenFailsWith('NotPostAuthor');
  });

  it('answers not found for a post that never existed or was deleted', () => {
    spec()
      .when({ type: 'EditPost', data: { postId, actorId: authorId, caption: 'x', editedAt: later } })
      .thenFailsWith('PostNotFound');
    spec(created, deleted)
      .when({ type: 'EditPost', data: { postId, actorId: authorId, caption: 'x', editedAt: later } })
      .thenFailsWith('PostNotFound');
  });

  it('answers not found before forbidden: a stranger learns nothing about a deleted post', () => {
    spec(created, deleted)
      .when({ type: 'EditPost', data: { postId, actorId: strangerId, caption: 'x', editedAt: later } })
      .thenFailsWith('PostNotFound');
  });
});

describe('DeletePost', () => {
  it('records PostDeleted when the author deletes', () => {
    spec(created)
      .when({ type: 'DeletePost', data: { postId, actorId: authorId, deletedAt: later } })
      .thenRecords(deleted);
  });

  it('lets only the author delete', () => {
    spec(created)
      .when({ type: 'DeletePost', data: { postId, actorId: strangerId, deletedAt: later } })
      .thenFailsWith('NotPostAuthor');
  });

  it('answers not found for a missing or already deleted post', () => {
    spec()
      .when({ type: 'DeletePost', data: { postId, actorId: authorId, deletedAt: later } })
      .thenFailsWith('PostNotFound');
    spec(created, deleted)
      .when({ type: 'DeletePost', data: { postId, actorId: authorId, deletedAt: later } })
      .thenFailsWith('PostNotFound');
  });
});

describe('the state after an edit', () => {
  it('keeps the creation time and moves updatedAt on each edit', () => {
    spec(created)
      .when({
        type: 'EditPost',
        data: { postId, actorId: authorId, photo: 'https://x.example/z.png', editedAt: later },
      })
      .thenStateIs({
        status: 'live',
        postId,
        authorId,
        photo: 'https://x.example/z.png',
        caption: 'sunset',
        createdAt,
        updatedAt: later,
      });
  });
});

describe('postVisibility', () => {
  const live = postDecider.evolve(postDecider.initialState(), created);

  it('shows a live post of an active account with its author', () => {
    expect(postVisibility(live, 'active')).toEqual({ visible: true, authorId });
  });

  it('hides a missing post, a deleted post and the post of a deleted account', () => {
    expect(postVisibility(postDecider.initialState(), 'active')).toEqual({ visible: false });
    expect(postVisibility(postDecider.evolve(live, deleted), 'active')).toEqual({ visible: false });
    expect(postVisibility(live, 'deleted')).toEqual({ visible: false });
  });
});
