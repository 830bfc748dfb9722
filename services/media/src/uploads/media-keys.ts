import { createHash } from 'node:crypto';
import type { ImageFormat } from './image-format.js';

export type Rendition = 'original' | 'standard' | 'thumbnail';

const extensionOf: Record<ImageFormat, string> = { jpeg: 'jpg', png: 'png', webp: 'webp' };
const contentTypeOfExtension: Record<string, string> = {
  jpg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
};

const keyPattern =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/(original|standard|thumbnail)-([0-9a-f]{32})\.(jpg|png|webp)$/;

/**
 * `<mediaId>/<rendition>-<content hash>.<ext>`. The hash of the bytes is part of the key, so a key can
 * only ever name these bytes: the URL is immutable by construction, and the hash is the file's ETag
 * without reading or storing anything else.
 */
export function mediaKey(mediaId: string, rendition: Rendition, bytes: Buffer, format: ImageFormat): string {
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 32);
  return `${mediaId}/${rendition}-${hash}.${extensionOf[format]}`;
}

export function isValidMediaKey(key: string): boolean {
  return keyPattern.test(key);
}

/** The strong ETag of the bytes behind a key (its content hash), or undefined for a key we never issue. */
export function etagOfKey(key: string): string | undefined {
  const hash = keyPattern.exec(key)?.[2];
  return hash ? `"${hash}"` : undefined;
}

export function contentTypeOfKey(key: string): string {
  return contentTypeOfExtension[key.slice(key.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
}
