import type { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { isValidMediaKey } from '../uploads/media-keys.js';
import { immutableCacheControl, type MediaStorage, type StoredFile } from './media-storage.js';

export interface S3MediaStorageOptions {
  /** e.g. `http://127.0.0.1:9000` (MinIO) ; omit for AWS itself */
  endpoint?: string;
  region?: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * Objects in one bucket of an S3-compatible store (distributed mode). Path-style addressing, so MinIO and
 * other self-hosted stores work without wildcard DNS. Every object carries its content type and the
 * immutable cache policy, so a CDN in front of the bucket serves it as the service itself would.
 */
export async function s3MediaStorage(
  options: S3MediaStorageOptions,
): Promise<MediaStorage & { close(): void }> {
  const client = new S3Client({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    region: options.region ?? 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
  });
  const Bucket = options.bucket;
  await ensureBucket(client, Bucket);
  return {
    description: `s3 ${options.endpoint ?? 'aws'}/${Bucket}`,
    async put(key, bytes, contentType) {
      await client.send(
        new PutObjectCommand({
          Bucket,
          Key: key,
          Body: bytes,
          ContentType: contentType,
          ContentLength: bytes.length,
          CacheControl: immutableCacheControl,
        }),
      );
    },
    async get(key): Promise<StoredFile | undefined> {
      if (!isValidMediaKey(key)) return undefined;
      try {
        const object = await client.send(new GetObjectCommand({ Bucket, Key: key }));
        return {
          // In Node the SDK's body is an http.IncomingMessage: a Readable.
          body: object.Body as Readable,
          contentType: object.ContentType ?? 'application/octet-stream',
          contentLength: object.ContentLength ?? 0,
        };
      } catch (error) {
        if (error instanceof NoSuchKey) return undefined;
        throw error;
      }
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
    },
    close: () => client.destroy(),
  };
}

async function ensureBucket(client: S3Client, Bucket: string): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket }));
  } catch {
    await client.send(new CreateBucketCommand({ Bucket })).catch((error: unknown) => {
      // Two replicas starting at once: the other one created it.
      if ((error as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw error;
    });
  }
}
