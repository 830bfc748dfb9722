import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import {
  aggregateOfStream,
  aggregates,
  catalogue,
  defineEvent,
  fromStoredEvent,
  InvalidEventError,
  internalTopicPrefix,
  internalTopics,
  isPublicEvent,
  jsonSchemaFiles,
  payloadErrors,
  personalFields,
  publicTopics,
  secretFields,
  streamIds,
  topicOf,
  toStoredEvent,
  UnknownEventVersionError,
  upcast,
  withoutSecrets,
  workerTopics,
} from './index.js';

const userId = '01890a5d-ac96-774b-bcce-b302099a8057';
const postId = '01890a5d-ac96-774b-bcce-b302099a8058';
const at = '2026-11-24T10:00:00.000Z';

describe('event catalogue', () => {
  it('names every event once, in the past tense of the domain', () => {
    const types = catalogue.map((d) => d.type);
    expect(new Set(types).size).toBe(types.length);
    // `ExportReady`: an export's archive became ready, the one event named by the state it reached; `Withdrawn`: an
    // irregular past participle.
    for (const type of types) expect(type).toMatch(/(ed|Set|Ready|Withdrawn)$/);
  });

  it('keeps credentials, sessions, reservations and contact data private: no topic', () => {
    for (const type of [
      'AccountCredentialsSet',
      'SessionStarted',
      'SessionRefreshed',
      'SessionRevoked',
      'UniqueValueReserved',
      'UniqueValueReleased',
      'ExportRequested',
      'ExportStarted',
      'ExportReady',
      'ExportFailed',
    ]) {
      expect(isPublicEvent(type), type).toBe(false);
      expect(topicOf(type), type).toBeUndefined();
    }
  });

  it('gives no public event a field that holds contact data or a secret', () => {
    const forbidden = /email|phone|password|hash|token/i;
    for (const definition of catalogue.filter((d) => d.visibility === 'public')) {
      for (const field of Object.keys(definition.schema.properties)) {
        expect(field, `${definition.type}.${field}`).not.toMatch(forbidden);
      }
    }
  });

  it('stores contact data and password hashes encrypted: every field of an event that holds one is personal, owned by an id of the payload', () => {
    const contact = /email|phone|password/i;
    for (const definition of catalogue) {
      const properties = definition.schema.properties as Record<string, { type?: string }>;
      const personal = personalFields[definition.type];
      for (const field of Object.keys(properties).filter((name) => contact.test(name))) {
        expect(personal?.fields, `${definition.type}.${field}`).toContain(field);
      }
      if (!personal) continue;
      expect(properties[personal.owner], `${definition.type} owner`).toBeDefined();
      for (const field of personal.fields)
        expect(properties[field]?.type, `${definition.type}.${field}`).toBe('string');
    }
    expect(personalFields.AccountCredentialsSet).toEqual({
      owner: 'userId',
      fields: ['email', 'phoneNo', 'passwordHash'],
    });
    expect(personalFields.UserRegistered?.fields).toEqual(['userName', 'name', 'bio', 'profilePic']);
    expect(personalFields.ProfileUpdated?.fields).toEqual(['name', 'bio', 'profilePic']);
    for (const type of ['PostCreated', 'PostEdited'])
      expect(personalFields[type]?.fields).toEqual(['caption']);
    for (const type of ['CommentAdded', 'ReplyAdded']) expect(personalFields[type]?.fields).toEqual(['text']);
  });

  it('declares every hash a secret (a credential no one is shown), each secret a field of its payload', () => {
    for (const definition of catalogue) {
      const fields = Object.keys(definition.schema.properties);
      for (const field of fields.filter((name) => name.endsWith('Hash'))) {
        expect(secretFields[definition.type], `${definition.type}.${field}`).toContain(field);
      }
      for (const field of secretFields[definition.type] ?? []) {
        expect(fields, `${definition.type}.${field}`).toContain(field);
      }
    }
    expect(secretFields.AccountCredentialsSet).toEqual(['passwordHash']);
    expect(secretFields.SessionStarted).toEqual(['refreshTokenHash']);
    expect(secretFields.SessionRefreshed).toEqual(['refreshTokenHash']);
  });

  it("leaves an event's secrets out of its payload, and every other field as it is", () => {
    const credentials = {
      userId,
      email: 'a@b.example',
      phoneNo: '+15550000',
      passwordHash: 'scrypt$N=16384$salt$hash',
      setAt: at,
    };
    expect(withoutSecrets('AccountCredentialsSet', credentials)).toEqual({
      userId,
      email: 'a@b.example',
      phoneNo: '+15550000',
      setAt: at,
    });
    expect(credentials.passwordHash).toBe('scrypt$N=16384$salt$hash');
    const like = { postId, userId, postAuthorId: userId, likedAt: at };
    expect(withoutSecrets('PostLiked', like)).toBe(like);
  });

  it('routes each public event to the topic of its aggregate', () => {
    expect(topicOf('UserRegistered')).toBe('identity.users');
    expect(topicOf('PostLiked')).toBe('content.likes');
    expect(topicOf('UserFollowed')).toBe('social.follows');
    expect(topicOf('NoSuchEvent')).toBeUndefined();
    expect([...publicTopics].sort()).toEqual([
      'content.comments',
      'content.likes',
      'content.posts',
      'content.replies',
      'identity.users',
      'media.uploads',
      'social.follows',
    ]);
  });

  it('routes who muted whom to the internal relations topic, never to a public one', () => {
    expect(isPublicEvent('UserMuted')).toBe(false);
    expect(topicOf('UserMuted')).toBe('internal.social.relations');
    expect(topicOf('UserUnmuted')).toBe('internal.social.relations');
    expect(internalTopics).toEqual(['internal.social.relations']);
    expect(publicTopics).not.toContain('internal.social.relations');
    expect(workerTopics).toEqual([...publicTopics, ...internalTopics]);
    for (const topic of publicTopics) expect(topic.startsWith(internalTopicPrefix), topic).toBe(false);
  });

  it('refuses an internal event on a public topic and a public event on an internal one', () => {
    const schema = Type.Object({});
    expect(() =>
      defineEvent({
        type: 'X',
        version: 1,
        aggregate: aggregates.follow,
        visibility: 'internal',
        description: '',
        schema,
      }),
    ).toThrow(/no internal topic/);
    expect(() =>
      defineEvent({
        type: 'X',
        version: 1,
        aggregate: aggregates.mute,
        visibility: 'public',
        description: '',
        schema,
      }),
    ).toThrow(/no public topic/);
  });

  it('builds stream ids as <category>-<id> and maps them back to their aggregate', () => {
    expect(streamIds.like(postId, userId)).toBe(`like-${postId}_${userId}`);
    expect(aggregateOfStream(streamIds.like(postId, userId))).toBe('like');
    expect(aggregateOfStream(streamIds.follow(userId, postId))).toBe('follow');
    expect(aggregateOfStream(streamIds.mute(userId, postId))).toBe('mute');
    expect(aggregateOfStream(streamIds.user(userId))).toBe('user');
    expect(aggregateOfStream('unknown-1')).toBeUndefined();
  });
});

describe('stored events', () => {
  it('stamps the current schema version into the metadata on the way in', () => {
    const stored = toStoredEvent(
      { type: 'PostLiked', data: { postId, userId, postAuthorId: userId, likedAt: at } },
      { actorId: userId },
    );
    expect(stored.metadata).toEqual({ actorId: userId, schemaVersion: 1 });
  });

  it('refuses to store a payload that breaks its schema', () => {
    expect(() =>
      toStoredEvent({
        type: 'PostCreated',
        data: { postId, authorId: userId, photo: 'ftp://x', caption: '', createdAt: at },
      }),
    ).toThrow(InvalidEventError);
    expect(
      payloadErrors('UserFollowed', { followerId: userId, followeeId: 'nope', followedAt: at }),
    ).not.toEqual([]);
    expect(
      payloadErrors('UserFollowed', { followerId: userId, followeeId: userId, followedAt: at, extra: 1 }),
    ).not.toEqual([]);
  });

  it('counts string lengths in characters (code points), as the HTTP edge does', () => {
    const post = { postId, authorId: userId, photo: 'https://x.io/a.png', createdAt: at };
    expect(payloadErrors('PostCreated', { ...post, caption: '📷'.repeat(2200) })).toEqual([]);
    expect(payloadErrors('PostCreated', { ...post, caption: '📷'.repeat(2201) })).not.toEqual([]);
  });

  it('reads a PostCreated stored as v1 (imageUrl, no caption) as v2 (photo, caption "")', () => {
    const v1 = {
      type: 'PostCreated',
      data: { postId, authorId: userId, imageUrl: 'https://cdn.example.com/p.jpg', createdAt: at },
      metadata: { schemaVersion: 1 },
    };
    const event = fromStoredEvent(v1);
    expect(event).toEqual({
      type: 'PostCreated',
      data: { postId, authorId: userId, photo: 'https://cdn.example.com/p.jpg', caption: '', createdAt: at },
    });
    expect(payloadErrors('PostCreated', event?.data)).toEqual([]);
  });

  it('keeps a v1 caption when upcasting and leaves current versions untouched', () => {
    const data = { postId, authorId: userId, imageUrl: 'https://x.io/a.png', caption: 'hi', createdAt: at };
    expect(upcast('PostCreated', 1, data).data).toMatchObject({ photo: 'https://x.io/a.png', caption: 'hi' });
    const current = { postId, authorId: userId, photo: 'https://x.io/a.png', caption: 'hi', createdAt: at };
    expect(upcast('PostCreated', 2, current)).toEqual({ version: 2, data: current });
  });

  it('refuses an event newer than the code instead of misreading it', () => {
    expect(() => upcast('PostLiked', 2, {})).toThrow(UnknownEventVersionError);
  });

  it('skips unknown event types when reading', () => {
    expect(fromStoredEvent({ type: '$metadata', data: {} })).toBeUndefined();
  });
});

describe('JSON Schema files', () => {
  it('mark each secret field x-secret', () => {
    const files = jsonSchemaFiles() as Record<
      string,
      { properties: Record<string, Record<string, unknown>> }
    >;
    const credentials = files['AccountCredentialsSet.v1.schema.json']?.properties;
    expect(credentials?.passwordHash?.['x-secret']).toBe(true);
    expect(credentials?.email?.['x-secret']).toBeUndefined();
    expect(files['SessionRefreshed.v1.schema.json']?.properties.refreshTokenHash?.['x-secret']).toBe(true);
  });

  it('are up to date with the catalogue (run `pnpm --filter @gram/events schemas`)', () => {
    const dir = join(import.meta.dirname, '..', 'schemas');
    const expected = jsonSchemaFiles();
    expect(readdirSync(dir).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, content] of Object.entries(expected)) {
      expect(JSON.parse(readFileSync(join(dir, name), 'utf8')), name).toEqual(content);
    }
  });
});
