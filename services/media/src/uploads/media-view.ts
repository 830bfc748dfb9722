import type { Media } from '@gram/service-kit';
import type { MediaUpload } from './media.js';

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
