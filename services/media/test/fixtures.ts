import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventStore, openSqliteEventStore } from '@gram/event-store';
import { streamIds, toStoredEvent } from '@gram/events';
import { newId } from '@gram/service-kit';
import { createTestTokenIssuer } from '@gram/service-kit/testing';
import { buildMediaApp } from '../src/app.js';
import { diskMediaStorage } from '../src/storage/disk-storage.js';
import type { MediaStorage } from '../src/storage/media-storage.js';

export const publicUrl = 'https://media.gram.test';

/**
 * The service over a fresh SQLite store and a fresh media directory (or the storage given), with a token issuer
 * standing in for identity.
 */
export async function startService(
  options: { maxUploadsInFlight?: number; storage?: MediaStorage; internalSecret?: string } = {},
) {
  const dir = await mkdtemp(join(tmpdir(), 'media-'));
  const store = openSqliteEventStore({ path: join(dir, 'events.sqlite') });
  const mediaDir = join(dir, 'media');
  const issuer = await createTestTokenIssuer();
  const storage = options.storage ?? diskMediaStorage(mediaDir);
  const app = buildMediaApp({
    store,
    publicUrl,
    verifier: issuer.verifier,
    ...options,
    storage,
  });
  await app.ready();
  return {
    app,
    store,
    storage,
    issuer,
    /** every file stored so far in the media directory (not in a storage given), as keys */
    storedKeys: () => listFiles(mediaDir),
    close: async () => {
      await app.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

/** Seeds an account the way identity records it: UserRegistered in the user's own stream. */
export async function registerUser(store: EventStore, userId: string = newId()): Promise<string> {
  const tail = userId.slice(-12);
  await store.appendToStream(
    streamIds.user(userId),
    [
      toStoredEvent({
        type: 'UserRegistered',
        data: {
          userId,
          userName: `user_${tail}`,
          name: `User ${tail}`,
          bio: '',
          profilePic: 'https://cdn.example.com/default.png',
          registeredAt: new Date().toISOString(),
        },
      }),
    ],
    { expectedRevision: 'no_stream' },
  );
  return userId;
}
