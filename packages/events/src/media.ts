import { Type } from '@sinclair/typebox';
import { aggregates } from './aggregates.js';
import { Id, Timestamp } from './common.js';
import { defineEvent } from './define.js';

/**
 * One stored rendition of an upload. `key` names the bytes in the media storage (a path on disk in
 * embedded mode, an object key in S3): the public URL is built from it by the serving side, so a
 * change of host or CDN never rewrites the log. The bytes behind a key never change.
 */
const StoredImage = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 512, pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]*$' }),
    width: Type.Integer({ minimum: 1 }),
    height: Type.Integer({ minimum: 1 }),
    bytes: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);

export const MediaUploaded = defineEvent({
  type: 'MediaUploaded',
  version: 1,
  aggregate: aggregates.media,
  visibility: 'public',
  description:
    'A photo was uploaded and stored without its metadata (EXIF, GPS), turned upright: the cleaned original and two variants, `standard` (at most 1080 px wide) and `thumbnail` (at most 320 px wide).',
  schema: Type.Object(
    {
      mediaId: Id(),
      uploaderId: Id(),
      format: Type.Union([Type.Literal('jpeg'), Type.Literal('png'), Type.Literal('webp')], {
        description: 'the format of every stored rendition: the format the upload was in',
      }),
      original: StoredImage,
      standard: StoredImage,
      thumbnail: StoredImage,
      uploadedAt: Timestamp(),
    },
    { additionalProperties: false },
  ),
});

export const MediaErased = defineEvent({
  type: 'MediaErased',
  version: 1,
  aggregate: aggregates.media,
  visibility: 'public',
  description:
    'The files of an upload were erased from the media storage because the account that uploaded them was deleted: every URL of the upload (the original, `standard` and `thumbnail`) now answers 404, for good. A consumer that kept any of these URLs, or bytes fetched from them, must drop them. Appended once per upload, after its files are gone.',
  schema: Type.Object(
    { mediaId: Id(), uploaderId: Id(), erasedAt: Timestamp() },
    { additionalProperties: false },
  ),
});

export const mediaEvents = [MediaUploaded, MediaErased] as const;
