import { type Static, Type } from '@sinclair/typebox';
import type { MediaUpload } from './media.js';

const ImageUrl = (description: string) => Type.String({ format: 'uri', pattern: '^https?://', description });

export const Media = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    url: ImageUrl('the cleaned original; immutable, cacheable forever'),
    width: Type.Integer({ description: 'of the original, upright' }),
    height: Type.Integer({ description: 'of the original, upright' }),
    variants: Type.Object({
      thumbnail: ImageUrl('at most 320 px wide'),
      standard: ImageUrl('at most 1080 px wide'),
    }),
  },
  { $id: 'Media', description: 'An uploaded photo: use its URLs as `photo` of a post or `profilePic`' },
);
export type Media = Static<typeof Media>;

/** The path under which stored files are served; `<publicUrl><filesPath><key>` is a file's URL. */
export const filesPath = '/api/v1/media/files/';

/** The public shape of an upload, with absolute URLs under `publicUrl` (e.g. `https://gram.example`). */
export function mediaView(upload: MediaUpload, publicUrl: string): Media {
  const base = publicUrl.replace(/\/+$/, '');
  const url = (key: string) => `${base}${filesPath}${key}`;
  return {
    id: upload.mediaId,
    url: url(upload.original.key),
    width: upload.original.width,
    height: upload.original.height,
    variants: { thumbnail: url(upload.thumbnail.key), standard: url(upload.standard.key) },
  };
}
