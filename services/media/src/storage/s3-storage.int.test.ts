import { text } from 'node:stream/consumers';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { injectServer } from '@gram/test-servers/inject';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaKey } from '../uploads/media-keys.js';
import { immutableCacheControl } from './media-storage.js';
import { s3MediaStorage } from './s3-storage.js';

const s3Url = injectServer('s3Url');
const credentials = injectServer('s3Credentials');

describe.skipIf(s3Url === undefined || credentials === undefined)(
  's3MediaStorage against a real S3 server',
  () => {
    let storage: Awaited<ReturnType<typeof s3MediaStorage>>;
    const bucket = `media-test-${Date.now()}`;
    const mediaId = '01890a5d-ac96-774b-bcce-b302099a8057';
    beforeAll(async () => {
      storage = await s3MediaStorage({
        endpoint: s3Url,
        bucket,
        accessKeyId: credentials?.accessKey ?? '',
        secretAccessKey: credentials?.secretKey ?? '',
      });
    });
    afterAll(() => storage?.close());

    it('creates its bucket, stores a file and streams it back with its type and length', async () => {
      const bytes = Buffer.from('pretend these are JPEG bytes');
      const key = mediaKey(mediaId, 'original', bytes, 'jpeg');
      await storage.put(key, bytes, 'image/jpeg');
      const file = await storage.get(key);
      expect(file).toMatchObject({ contentType: 'image/jpeg', contentLength: bytes.length });
      if (!file) throw new Error('the stored file is missing');
      expect(await text(file.body)).toBe(bytes.toString());
    });

    it('stores every object with its content type and the immutable cache policy, for a CDN in front of the bucket', async () => {
      const bytes = Buffer.from('thumbnail bytes');
      const key = mediaKey(mediaId, 'thumbnail', bytes, 'webp');
      await storage.put(key, bytes, 'image/webp');
      const client = new S3Client({
        endpoint: s3Url,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: {
          accessKeyId: credentials?.accessKey ?? '',
          secretAccessKey: credentials?.secretKey ?? '',
        },
      });
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      client.destroy();
      expect(head).toMatchObject({
        ContentType: 'image/webp',
        CacheControl: immutableCacheControl,
        ContentLength: bytes.length,
      });
    });

    it('answers undefined for a missing key and after delete', async () => {
      const bytes = Buffer.from('to be removed');
      const key = mediaKey(mediaId, 'standard', bytes, 'png');
      expect(await storage.get(key)).toBeUndefined();
      await storage.put(key, bytes, 'image/png');
      await storage.delete(key);
      expect(await storage.get(key)).toBeUndefined();
    });
  },
);
