import { deciderSpec } from '@gram/service-kit/decider-spec';
import { describe, expect, it } from 'vitest';
import { caption } from '../texts/written-texts.testing.js';
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
        data: { postId, authorId, photo: 'https://img.example/a.jpg', caption: caption('sunset'), createdAt },
      })
      .thenRecords(created);
  });

  it('refuses an id that is already taken', () => {
    spec(created)
      .when({
        type: 'CreatePost',
        data: { postId, authorId, photo: 'https://x.example/b.png', caption: caption(''), createdAt },
      })
      .thenFailsWith('PostAlreadyExists');
  });
});

describe('EditPost', () => {
  it('records only the fields that change', () => {
    spec(created)
      .when({
        type: 'EditPost',
        data: { postId, actorId: authorId, caption: caption('dawn'), editedAt: later },
      })
      .thenRecords({ type: 'PostEdited', data: { postId, authorId, caption: 'dawn', editedAt: later } });
  });

  it('records photo and caption together when both change', () => {
    spec(created)
      .when({
        type: 'EditPost',
        data: {
          postId,
          actorId: authorId,
          photo: 'http://img.example/c.webp',
          caption: caption(''),
          editedAt: later,
        },
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
          caption: caption('sunset'),
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
      .when({
        type: 'EditPost',
        data: { postId, actorId: authorId, caption: caption('sunset'), editedAt: later },
      })
      .thenRecords({ type: 'PostEdited', data: { postId, authorId, caption: 'sunset', editedAt: later } });
  });

  it('lets only the author edit', () => {
    spec(created)
      .when({
        type: 'EditPost',
        data: { postId, actorId: strangerId, caption: caption('mine now'), editedAt: later },
      })
      .thenFailsWith('NotPostAuthor');
  });

  it('answers not found for a post that never existed or was deleted', () => {
    spec()
      .when({ type: 'EditPost', data: { postId, actorId: authorId, caption: caption('x'), editedAt: later } })
      .thenFailsWith('PostNotFound');
    spec(created, deleted)
      .when({ type: 'EditPost', data: { postId, actorId: authorId, caption: caption('x'), editedAt: later } })
      .thenFailsWith('PostNotFound');
  });

  it('answers not found before forbidden: a stranger learns nothing about a deleted post', () => {
    spec(created, deleted)
      .when({
        type: 'EditPost',
        data: { postId, actorId: strangerId, caption: caption('x'), editedAt: later },
      })
      .thenFailsWith('PostNotFound');
  });
});

describe('hashtags and mentions of a caption', () => {
  const ada = '01900000-0000-7000-8000-0000000000ad';
  const grace = '01900000-0000-7000-8000-0000000000ce';
  const tags = (n: number) => Array.from({ length: n }, (_, i) => `tag${i}`);
  const possibleMentions = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `name${i}` }));
  const create = (written: ReturnType<typeof caption>) => ({
    type: 'CreatePost' as const,
    data: { postId, authorId, photo: 'https://img.example/a.jpg', caption: written, createdAt },
  });
  const edit = (written: ReturnType<typeof caption>) => ({
    type: 'EditPost' as const,
    data: { postId, actorId: authorId, caption: written, editedAt: later },
  });

  it('accepts 30 distinct hashtags and refuses 31, naming the caption, on creation and on edit', () => {
    spec()
      .when(create(caption('#…', { hashtags: tags(30) })))
      .thenRecords({
        ...created,
        data: { ...created.data, caption: '#…' },
      });
    spec()
      .when(create(caption('#…', { hashtags: tags(31) })))
      .thenFailsWith('TooManyHashtags', 'caption');
    spec(created)
      .when(edit(caption('#…', { hashtags: tags(31) })))
      .thenFailsWith('TooManyHashtags', 'caption');
  });

  it('refuses more than 20 possible mentions, naming the caption, whether or not they name accounts', () => {
    spec()
      .when(create(caption('@…', { mentions: possibleMentions(20) })))
      .thenRecords({ ...created, data: { ...created.data, caption: '@…' } });
    spec()
      .when(create(caption('@…', { mentions: possibleMentions(21) })))
      .thenFailsWith('TooManyMentions', 'caption');
    spec(created)
      .when(edit(caption('@…', { mentions: possibleMentions(21) })))
      .thenFailsWith('TooManyMentions', 'caption');
  });

  it('refuses a caption over a limit even when it is unchanged: the limits are rules of what is sent', () => {
    spec(created)
      .when(edit(caption('sunset', { hashtags: tags(31) })))
      .thenFailsWith('TooManyHashtags', 'caption');
  });

  it('records the accounts a caption mentions, once each, in order of first appearance, names of none left out', () => {
    const mentions = [
      { key: 'grace', userId: grace },
      { key: 'nobody' },
      { key: 'ada.', userId: ada },
      { key: 'ada', userId: ada },
    ];
    spec()
      .when(create(caption('@grace @nobody @ada. @ada', { mentions })))
      .thenRecords({
        ...created,
        data: { ...created.data, caption: '@grace @nobody @ada. @ada', mentions: [grace, ada] },
      });
  });

  it('records no mentions when no name is an account', () => {
    spec()
      .when(create(caption('@nobody', { mentions: [{ key: 'nobody' }] })))
      .thenRecords({ ...created, data: { ...created.data, caption: '@nobody' } });
  });

  it("records an edited caption's mentions with it, and none with a caption left as it was", () => {
    spec(created)
      .when(edit(caption('with @ada', { mentions: [{ key: 'ada', userId: ada }] })))
      .thenRecords({
        type: 'PostEdited',
        data: { postId, authorId, caption: 'with @ada', mentions: [ada], editedAt: later },
      });
    spec(created)
      .when({
        type: 'EditPost',
        data: {
          postId,
          actorId: authorId,
          photo: 'https://x.example/z.png',
          caption: caption('sunset', { mentions: [{ key: 'ada', userId: ada }] }),
          editedAt: later,
        },
      })
      .thenRecords({
        type: 'PostEdited',
        data: { postId, authorId, photo: 'https://x.example/z.png', editedAt: later },
      });
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
        mentions: [],
        createdAt,
        updatedAt: later,
      });
  });
});

describe('postVisibility', () => {
  const live = postDecider.evolve(postDecider.initialState(), created);

  const active = { status: 'active' as const, isPrivate: false };

  it('shows a live post of an active account with its author, and whether the author is private', () => {
    expect(postVisibility(live, active)).toEqual({ visible: true, authorId, authorIsPrivate: false });
    expect(postVisibility(live, { status: 'active', isPrivate: true })).toEqual({
      visible: true,
      authorId,
      authorIsPrivate: true,
    });
  });

  it('hides a missing post, a deleted post and the post of a deleted account', () => {
    expect(postVisibility(postDecider.initialState(), active)).toEqual({ visible: false });
    expect(postVisibility(postDecider.evolve(live, deleted), active)).toEqual({ visible: false });
    expect(postVisibility(live, { status: 'deleted', isPrivate: false })).toEqual({ visible: false });
  });
});

describe("the state's mentions", () => {
  const other = '01900000-0000-7000-8000-0000000000b2';
  const mentioning: PostEvent = { ...created, data: { ...created.data, mentions: [other] } } as PostEvent;
  const fold = (events: PostEvent[]) => events.reduce(postDecider.evolve, postDecider.initialState());
  const mentionsOf = (events: PostEvent[]) => {
    const state = fold(events);
    return state.status === 'live' ? state.mentions : undefined;
  };

  it('are those recorded with the caption, none when none were, and stay through an edit of the photo alone', () => {
    expect(mentionsOf([created])).toEqual([]);
    expect(mentionsOf([mentioning])).toEqual([other]);
    const photoOnly: PostEvent = {
      type: 'PostEdited',
      data: { postId, authorId, photo: 'https://x.example/z.png', editedAt: later },
    };
    expect(mentionsOf([mentioning, photoOnly])).toEqual([other]);
  });

  it('are those of the new caption after an edit of it: a caption recorded without mentions mentions nobody', () => {
    const edited: PostEvent = {
      type: 'PostEdited',
      data: { postId, authorId, caption: 'plain', editedAt: later },
    };
    expect(mentionsOf([mentioning, edited])).toEqual([]);
  });
});
