import { randomUUID } from 'node:crypto';
import { openSqliteEventStore } from '@gram/event-store';
import { personalFields } from '@gram/events';
import { DataKeys, inMemoryDataKeys, personalDataEventStore } from '@gram/personal-data';
import { describe, expect, it } from 'vitest';
import { withoutZeroCounts } from '../../test/counts.js';
import { messagesOf } from '../../test/deliveries.js';
import { generateHistory, HistoryBuilder } from '../../test/history.js';
import { counters } from '../read-models/registry.js';
import { rebuildInMemory } from '../rebuild/rebuild.js';
import { createMemoryReadModelStore } from '../store/memory.js';
import { Projector } from './projector.js';

/** A log as identity writes it: the profile's fields encrypted under the account's key (the log's own SQLite). */
async function encryptedLog() {
  const h = new HistoryBuilder();
  const kept = h.register('kept_user', 'Kept Name');
  const gone = h.register('gone_user', 'Gone Name');
  h.updateProfile(kept, { bio: 'kept bio' });
  const keys = inMemoryDataKeys();
  const raw = openSqliteEventStore({ path: ':memory:' });
  const log = personalDataEventStore(raw, keys, personalFields);
  for (const e of h.events) {
    await log.appendToStream(e.streamId, [{ id: e.id, type: e.type, data: e.data, metadata: e.metadata }], {
      expectedRevision: 'any',
    });
  }
  return { raw, keys, kept, gone };
}

describe('personal fields the log holds encrypted', () => {
  it('are read decrypted by the projection, live and in a rebuild; a destroyed key reads as forgotten', async () => {
    const { raw, keys, kept, gone } = await encryptedLog();
    const stored = await raw.readAll();
    expect(JSON.stringify(stored)).not.toContain('Kept Name');
    await keys.destroy(gone);

    const live = createMemoryReadModelStore({ counters });
    const projector = new Projector(live, { dataKeys: new DataKeys((id) => keys.get(id)) });
    for (const message of messagesOf(stored)) await projector.handle(message);
    const { store: rebuilt } = await rebuildInMemory(raw, { dataKeys: new DataKeys((id) => keys.get(id)) });

    for (const store of [live, rebuilt]) {
      expect(await store.documents.get('users', kept)).toMatchObject({
        userName: 'kept_user',
        userNameKey: 'kept_user',
        name: 'Kept Name',
        bio: 'kept bio',
      });
      expect(await store.documents.get('users', gone)).toMatchObject({ userName: '', name: '' });
    }
  });

  it('a rebuild after deletions builds what the live path built while the accounts lived and then were deleted', async () => {
    const history = generateHistory({
      users: 40,
      follows: 200,
      posts: 150,
      likes: 600,
      comments: 200,
      seed: 7,
    });
    const keys = inMemoryDataKeys();
    const raw = openSqliteEventStore({ path: ':memory:' });
    const log = personalDataEventStore(raw, keys, personalFields);
    const append = async (e: {
      id?: string;
      streamId: string;
      type: string;
      data: unknown;
      metadata: object;
    }) =>
      log.appendToStream(
        e.streamId,
        [{ id: e.id, type: e.type, data: e.data, metadata: { ...e.metadata } }],
        {
          expectedRevision: 'any',
        },
      );
    for (const e of history) await append(e);
    // Three authors to delete, each with a post whose caption is theirs alone.
    const authors = [
      ...new Set(
        history.filter((e) => e.type === 'PostCreated').map((e) => (e.data as { authorId: string }).authorId),
      ),
    ].slice(0, 3);
    const captions = authors.map((authorId) => `the caption of ${authorId}`);
    for (const [i, authorId] of authors.entries()) {
      const postId = randomUUID();
      await append({
        streamId: `post-${postId}`,
        type: 'PostCreated',
        data: {
          postId,
          authorId,
          photo: 'https://img.example/p.jpg',
          caption: captions[i],
          createdAt: new Date().toISOString(),
        },
        metadata: { actorId: authorId },
      });
    }
    const options = { hotAuthorThreshold: 6, feedCap: 40 };
    const live = createMemoryReadModelStore({ counters, feedCap: options.feedCap });
    const projector = new Projector(live, { ...options, dataKeys: new DataKeys((id) => keys.get(id)) });
    for (const message of messagesOf(await raw.readAll())) await projector.handle(message);

    // Deleted as identity deletes: the key destroyed first, then UserDeleted, applied live.
    const before = JSON.stringify(live.documents.dump());
    const head = await raw.headPosition();
    for (const userId of authors) {
      await keys.destroy(userId);
      await append({
        streamId: `user-${userId}`,
        type: 'UserDeleted',
        data: { userId, deletedAt: new Date().toISOString() },
        metadata: {},
      });
    }
    for (const message of messagesOf(await raw.readAll({ after: head }))) await projector.handle(message);

    const { store: rebuilt } = await rebuildInMemory(raw, {
      ...options,
      dataKeys: new DataKeys((id) => keys.get(id)),
    });
    expect(withoutZeroCounts(rebuilt.documents.dump())).toEqual(withoutZeroCounts(live.documents.dump()));
    expect(rebuilt.feeds.dump()).toEqual(live.feeds.dump());
    // What the live path held of them while they lived, and holds no more.
    const after = JSON.stringify(live.documents.dump());
    for (const caption of captions) {
      expect(before).toContain(caption);
      expect(after).not.toContain(caption);
    }
  });

  it('fail the event, rather than store a ciphertext, when no data keys were given', async () => {
    const { raw } = await encryptedLog();
    const projector = new Projector(createMemoryReadModelStore({ counters }));
    const [first] = messagesOf(await raw.readAll());
    await expect(projector.handle(first as NonNullable<typeof first>)).rejects.toThrow(/no data keys/);
  });
});
