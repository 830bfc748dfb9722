import type { RecordedEvent } from '@gram/event-store';
import { describe, expect, it } from 'vitest';
import { publicMessageOf } from './event-messages.js';

const userId = '01890a5d-ac96-774b-bcce-b302099a8057';
const postId = '01890a5d-ac96-774b-bcce-b302099a8058';
const at = new Date('2026-11-24T10:00:00.000Z');

const recorded = (overrides: Partial<RecordedEvent>): RecordedEvent => ({
  id: '01890a5d-ac96-774b-bcce-b302099a8059',
  streamId: `post-${postId}`,
  type: 'PostDeleted',
  data: { postId, authorId: userId, deletedAt: at.toISOString() },
  metadata: { schemaVersion: 1 },
  revision: 3,
  position: 42,
  createdAt: at,
  ...overrides,
});

describe('public message of a recorded event', () => {
  it('carries the event id, type, version, stream, revision, position and recorded time to its topic', () => {
    expect(publicMessageOf(recorded({}))).toEqual({
      topic: 'content.posts',
      message: {
        id: '01890a5d-ac96-774b-bcce-b302099a8059',
        type: 'PostDeleted',
        version: 1,
        streamId: `post-${postId}`,
        streamRevision: 3,
        position: 42,
        time: '2026-11-24T10:00:00.000Z',
        data: { postId, authorId: userId, deletedAt: at.toISOString() },
      },
    });
  });

  it('keeps private events and unknown types home', () => {
    const credentials = recorded({
      type: 'AccountCredentialsSet',
      streamId: `user-${userId}`,
      data: {
        userId,
        email: 'a@b.c',
        phoneNo: '+15550100',
        passwordHash: 'scrypt$x',
        setAt: at.toISOString(),
      },
    });
    expect(publicMessageOf(credentials)).toBeUndefined();
    expect(publicMessageOf(recorded({ type: 'SessionStarted' }))).toBeUndefined();
    expect(publicMessageOf(recorded({ type: '$metadata' }))).toBeUndefined();
  });

  it('sends who muted whom to the internal relations topic, keyed by the mute stream', () => {
    const muted = recorded({
      type: 'UserMuted',
      streamId: `mute-${userId}_${postId}`,
      data: { muterId: userId, mutedId: postId, mutedAt: at.toISOString() },
    });
    expect(publicMessageOf(muted)).toMatchObject({
      topic: 'internal.social.relations',
      message: { type: 'UserMuted', streamId: `mute-${userId}_${postId}` },
    });
  });

  it('publishes a PostCreated stored as v1 upcast to the current v2', () => {
    const v1 = recorded({
      type: 'PostCreated',
      data: {
        postId,
        authorId: userId,
        imageUrl: 'https://cdn.example.com/p.jpg',
        createdAt: at.toISOString(),
      },
      metadata: { schemaVersion: 1 },
    });
    expect(publicMessageOf(v1)?.message).toMatchObject({
      version: 2,
      data: {
        postId,
        authorId: userId,
        photo: 'https://cdn.example.com/p.jpg',
        caption: '',
        createdAt: at.toISOString(),
      },
    });
  });

  it('refuses an event stored at a version newer than this code rather than mislabel or drop it', () => {
    expect(() => publicMessageOf(recorded({ type: 'PostLiked', metadata: { schemaVersion: 9 } }))).toThrow(
      /newer than this code/,
    );
  });
});
