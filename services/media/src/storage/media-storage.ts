import type { Readable } from 'node:stream';

/** A stored file as the serving route streams it. */
export interface StoredFile {
  body: Readable;
  contentType: string;
  contentLength: number;
}

/**
 * Where the bytes of uploads live: the local disk in embedded mode, an S3-compatible object store in
 * distributed mode. Keys are immutable: a key is written once, and what it names never changes, which
 * is what lets every URL be cached forever.
 */
export interface MediaStorage {
  /** a short description for logs, e.g. `disk /data/media` or `s3 http://minio:9000/gram-media` */
  readonly description: string;
  put(key: string, bytes: Buffer, contentType: string): Promise<void>;
  /** undefined when no file has that key */
  get(key: string): Promise<StoredFile | undefined>;
  /**
   * removes the file if it exists, and does nothing if it does not: takes back the files of an upload that
   * could not be recorded, and erases those of a deleted account
   */
  delete(key: string): Promise<void>;
}

/**
 * The storage could not do what was asked (unreachable, refusing): `statusCode` 503, which service-kit's error
 * handler answers as a dependency's outage, to retry later.
 */
export class MediaStorageUnavailable extends Error {
  override readonly name = 'MediaStorageUnavailable';
  readonly statusCode = 503;
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}

/** The cache policy of every stored file: its bytes never change, so clients and CDNs keep it for a year. */
export const immutableCacheControl = 'public, max-age=31536000, immutable';
