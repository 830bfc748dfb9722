import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamIds } from '@gram/events';
import { injectServer } from '@gram/test-servers/inject';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicUrl, registerUser, startService } from '../../test/fixtures.js';
import { multipartBody, plainJpeg, png } from '../../test/images.js';
import { diskMediaStorage } from '../storage/disk-storage.js';
import type { MediaStorage } from '../storage/media-storage.js';
import { s3MediaStorage } from '../storage/s3-storage.js';
import { eraseAccountMedia } from './account-media.js';

const s3Url = injectServer('s3Url');
const s3Credentials = injectServer('s3Credentials');

interface StorageUnderTest {
  storage: MediaStorage;
  close(): Promise<void>;
}

const storages: [name: string, open: (() => Promise<StorageUnderTest>) | undefined][] = [
  [
    'disk',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'media-erasure-'));
      return { storage: diskMediaStorage(dir), close: () => rm(dir, { recursive: true, force: true }) };
    },
  ],
  [
    'S3',
    s3Url === undefined || s3Credentials === undefined
      ? undefined
      : async () => {
          const storage = await s3MediaStorage({
            endpoint: s3Url,
            bucket: `media-erasure-${Date.now()}`,
            accessKeyId: s3Credentials.accessKey,
            secretAccessKey: s3Credentials.secretKey,
          });
          return { storage, close: async () => storage.close() };
        },
  ],
];

describe.each(storages)("an account's erasure from the media storage (%s)", (_, open) => {
  let under: StorageUnderTest;
  let service: Awaited<ReturnType<typeof startService>>;
  beforeAll(async () => {
    if (!open) return;
    under = await open();
    service = await startService({ storage: under.storage });
  });
  afterAll(async () => {
    await service?.close();
    await under?.close();
  });

  const upload = async (userId: string, image: Buffer) => {
    const body = multipartBody([{ name: 'file', filename: 'p.jpg', contentType: 'image/jpeg', data: image }]);
    const res = await service.app.inject({
      method: 'POST',
      url: '/api/v1/media',
      payload: body.payload,
      headers: { authorization: `Bearer ${await service.issuer.mint(userId)}`, ...body.headers },
    });
    expect(res.statusCode).toBe(201);
    const media = res.json<{ id: string; url: string; variants: { standard: string; thumbnail: string } }>();
    return { id: media.id, urls: [media.url, media.variants.standard, media.variants.thumbnail] };
  };
  /** whether the storage holds the file behind a URL (its stream is closed unread) */
  const stored = async (url: string) => {
    const file = await service.storage.get(url.slice(`${publicUrl}/api/v1/media/files/`.length));
    file?.body.destroy();
    return file !== undefined;
  };
  const get = (url: string) => service.app.inject({ method: 'GET', url: url.slice(publicUrl.length) });

  it.skipIf(!open)(
    "deletes every rendition of every upload of the account, recording MediaErased on each, and none of another account's",
    async () => {
      const erased = await registerUser(service.store);
      const kept = await registerUser(service.store);
      // Interleaved with the other account's, and more than a page of the account's events (pageSize 2 below).
      const first = await upload(erased, await plainJpeg(400, 300));
      const others = await upload(kept, await plainJpeg(400, 300));
      const second = await upload(erased, await png(300, 200));
      const third = await upload(erased, await plainJpeg(200, 100));
      const uploads = [first, others, second, third];
      for (const url of uploads.flatMap((u) => u.urls)) expect((await get(url)).statusCode, url).toBe(200);

      const erasedAt = new Date('2026-12-01T08:00:00.000Z');
      await eraseAccountMedia(
        { store: service.store, storage: service.storage, now: () => erasedAt, pageSize: 2 },
        erased,
      );

      for (const { id, urls } of [first, second, third]) {
        for (const url of urls) {
          expect(await stored(url), url).toBe(false);
          const served = await get(url);
          expect(served.statusCode, url).toBe(404);
          expect(served.headers['content-type']).toMatch(/^application\/problem\+json/);
        }
        const stream = await service.store.readStream(streamIds.media(id));
        expect(stream.map((e) => e.type)).toEqual(['MediaUploaded', 'MediaErased']);
        expect(stream[1]).toMatchObject({
          data: { mediaId: id, uploaderId: erased, erasedAt: erasedAt.toISOString() },
          metadata: { actorId: erased },
        });
        expect((await service.app.inject({ method: 'GET', url: `/api/v1/media/${id}` })).statusCode).toBe(
          404,
        );
      }
      for (const url of others.urls) {
        expect(await stored(url), url).toBe(true);
        expect((await get(url)).statusCode, url).toBe(200);
      }
      expect((await service.store.readStream(streamIds.media(others.id))).map((e) => e.type)).toEqual([
        'MediaUploaded',
      ]);
    },
  );

  it.skipIf(!open)(
    'erases an upload of the account recorded while the erasure runs, after it read the log',
    async () => {
      const userId = await registerUser(service.store);
      const before = await upload(userId, await plainJpeg(300, 200));
      let during: ReturnType<typeof upload> | undefined;
      // The first deletion waits for another upload of the account to be recorded: the erasure has read the
      // account's events by then, and that upload is not among them.
      const storage: MediaStorage = {
        ...service.storage,
        put: (key, bytes, type) => service.storage.put(key, bytes, type),
        get: (key) => service.storage.get(key),
        delete: async (key) => {
          // Once, though the deletions of the upload's three files run side by side.
          during ??= png(200, 200).then((image) => upload(userId, image));
          await during;
          await service.storage.delete(key);
        },
      };

      await eraseAccountMedia({ store: service.store, storage }, userId);

      const recordedDuring = await during;
      expect(recordedDuring).toBeDefined();
      for (const { id, urls } of [before, recordedDuring ?? before]) {
        for (const url of urls) expect(await stored(url), url).toBe(false);
        expect((await service.store.readStream(streamIds.media(id))).map((e) => e.type)).toEqual([
          'MediaUploaded',
          'MediaErased',
        ]);
      }
    },
  );

  it.skipIf(!open)('succeeds again and appends nothing when the account was erased already', async () => {
    const userId = await registerUser(service.store);
    const { urls } = await upload(userId, await plainJpeg(300, 300));
    const erasure = { store: service.store, storage: service.storage };
    await eraseAccountMedia(erasure, userId);
    const head = await service.store.headPosition();

    await eraseAccountMedia(erasure, userId);

    expect(await service.store.headPosition()).toBe(head);
    for (const url of urls) expect(await stored(url), url).toBe(false);
  });

  it.skipIf(!open)('succeeds, erasing nothing, for an account that uploaded nothing', async () => {
    const userId = await registerUser(service.store);
    const head = await service.store.headPosition();
    await eraseAccountMedia({ store: service.store, storage: service.storage }, userId);
    expect(await service.store.headPosition()).toBe(head);
  });
});
