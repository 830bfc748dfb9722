import { HttpProblem } from '@gram/service-kit';
import type { ImageRefused } from './uploads/image-processing.js';
import type { MediaErrorCode } from './uploads/media.js';

/** Every refusal of the service and its HTTP status: the one place statuses are chosen. */
const statusOf: Record<MediaErrorCode | ImageRefused['reason'], number> = {
  MediaAlreadyUploaded: 409,
  // A file that starts like a JPEG, PNG or WebP but does not decode as one is not such an image either.
  corrupt: 415,
  // Too large in pixels rather than in bytes: a decompression bomb is refused like an oversized file.
  'too-many-pixels': 413,
};

export function toHttpProblem(error: { code: MediaErrorCode; message: string } | ImageRefused): HttpProblem {
  const code = 'reason' in error ? error.reason : error.code;
  return new HttpProblem(statusOf[code], error.message);
}
