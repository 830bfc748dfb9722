import { createHash } from 'node:crypto';
import multipart, { type MultipartFile } from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { EventStore } from '@gram/event-store';
import { Id, streamIds } from '@gram/events';
import {
  type AccountDirectory,
  caller,
  HttpProblem,
  handleCommand,
  isDomainError,
  loadAggregate,
  Media,
  newId,
  problems,
  retryLater,
  sendWriteHeaders,
} from '@gram/service-kit';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toHttpProblem } from '../http-errors.js';
import type { MediaStorage } from '../storage/media-storage.js';
import { type ImageFormat, imageMediaType, SNIFF_BYTES, sniffImageFormat } from './image-format.js';
import {
  ImageRefused,
  PROCESSING_CONCURRENCY,
  type ProcessedImage,
  processImage,
  type RenderedImage,
} from './image-processing.js';
import { type MediaUpload, mediaDecider } from './media.js';
import { mediaKey, type Rendition } from './media-keys.js';
import { mediaView } from './media-view.js';

/** The largest upload accepted, in bytes. */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

export interface UploadRoutesOptions {
  store: EventStore;
  storage: MediaStorage;
  /** the scheme and host the URLs of Media start with */
  publicUrl: string;
  now: () => Date;
  /** whether the uploader's account is deleted, asked once more just before an upload is recorded */
  accounts: AccountDirectory;
  /**
   * uploads received, waiting or being processed at once before more are refused with 503 (see below); one
   * account may hold `uploadsPerAccount` of them
   */
  maxInFlight?: number;
}

/**
 * The uploads in progress one account may hold: a quarter of them, at least one. Without a share, one
 * account sending slow uploads on many connections would hold every slot and turn everyone else away
 * with 503; with it, that account is the one told to wait (429), and the other slots stay for the others.
 */
function uploadsPerAccount(maxInFlight: number): number {
  return Math.max(1, Math.floor(maxInFlight / 4));
}

/**
 * Uploads in progress at once, by default four per processing pipeline (MEDIA_MAX_UPLOADS_IN_FLIGHT
 * overrides). Each holds up to 10 MB of received bytes while it waits for a pipeline, so without a bound a
 * burst of uploads would take the process's memory with it; past it, a new upload is refused at once with
 * 503 and Retry-After, before its body is read, and the connection is closed rather than drained.
 */
export const MAX_UPLOADS_IN_FLIGHT =
  Number(process.env.MEDIA_MAX_UPLOADS_IN_FLIGHT) > 0
    ? Math.floor(Number(process.env.MEDIA_MAX_UPLOADS_IN_FLIGHT))
    : 4 * PROCESSING_CONCURRENCY;

const writeHeaders = {
  'x-stream-revision': Type.String({ description: 'revision of the media stream after the write' }),
  'x-global-position': Type.String({ description: 'global position of the MediaUploaded event' }),
  'x-consistency-token': Type.String({
    description: 'send it back on a read to see this write (read-your-writes)',
  }),
};

/** POST /api/v1/media and GET /api/v1/media/:mediaId. */
export const uploadRoutes: FastifyPluginAsyncTypebox<UploadRoutesOptions> = async (
  app,
  { store, storage, publicUrl, now, accounts, maxInFlight = MAX_UPLOADS_IN_FLIGHT },
) => {
  let inFlight = 0;
  const perAccount = uploadsPerAccount(maxInFlight);
  /** uploads in progress by account; an account without one has no entry */
  const inFlightOf = new Map<string, number>();

  // Registered here, not on the root: the gateway mounts this plugin beside services that take JSON only.
  await app.register(multipart, {
    limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 10, parts: 11, fieldSize: 1024 },
  });

  const acceptUpload = async (request: FastifyRequest, reply: FastifyReply, uploaderId: string) => {
    const { bytes, format } = await receiveImage(request);
    // A repeat is the same upload when it sends the same file, however its multipart body was framed.
    const file = createHash('sha256').update(bytes).digest('base64url');
    if (await app.claimIdempotencyKey(request, reply, file)) return reply;
    const image = await processImage(bytes, format).catch((error: unknown) => {
      throw error instanceof ImageRefused ? toHttpProblem(error) : error;
    });

    const mediaId = newId();
    const stored = await storeRenditions(storage, mediaId, image);
    const upload: MediaUpload = {
      mediaId,
      uploaderId,
      format,
      ...stored.renditions,
      uploadedAt: now().toISOString(),
    };
    try {
      // The token was checked when the request came in, and processing takes a while. An account deleted since
      // has had its uploads erased (erasure/account-media.ts) before its UserDeleted, perhaps without this one:
      // recorded now, its files would outlive the account. Asked as late as possible, this leaves only an
      // upload that passes here before the UserDeleted and is appended after the erasure's last read of the log.
      if ((await accounts.status(uploaderId)) !== 'active') {
        throw new HttpProblem(401, 'the account was deleted');
      }
      const result = await handleCommand(
        store,
        streamIds.media(mediaId),
        mediaDecider,
        { type: 'RecordUpload', data: upload },
        { actorId: uploaderId, correlationId: request.id },
      );
      if (isDomainError(result)) throw toHttpProblem(result);
      return sendWriteHeaders(reply, result).code(201).send(mediaView(upload, publicUrl));
    } catch (error) {
      // Files without their event would be unreachable forever: an upload is its event or nothing.
      await stored.remove();
      throw error;
    }
  };

  app.post(
    '/api/v1/media',
    {
      onRequest: app.requireAuth,
      // The file is read in the handler, which claims the key once it has it.
      config: { idempotent: { fingerprint: 'in-handler' } },
      schema: {
        tags: ['media'],
        summary: 'Upload a photo',
        description:
          'A `multipart/form-data` body with one part named `file`: a JPEG, PNG or WebP image (judged by its bytes, ' +
          'not its name or declared type) of at most 10 MB and 50 megapixels. Its metadata (EXIF, GPS) is removed, ' +
          'it is turned upright, and a 1080 px wide standard variant and a 320 px wide thumbnail are stored beside it. ' +
          'Too many uploads in progress: 503 for the service, 429 for one account (a quarter of them), with Retry-After.',
        security: [{ bearer: [] }],
        consumes: ['multipart/form-data'],
        response: {
          201: { ...Media, headers: writeHeaders },
          ...problems(400, 401, 413, 415, 503),
          429: retryLater("too many of this account's uploads are in progress: wait `Retry-After` seconds"),
        },
      },
    },
    async (request, reply) => {
      const uploaderId = caller(request).userId;
      const ofUploader = inFlightOf.get(uploaderId) ?? 0;
      // Both refusals come before the body is read, and close the connection rather than drain it.
      if (ofUploader >= perAccount) {
        throw new HttpProblem(
          429,
          `${ofUploader} of your uploads are in progress, the most one account may have`,
          {
            headers: { 'retry-after': '1', connection: 'close' },
          },
        );
      }
      if (inFlight >= maxInFlight) {
        throw new HttpProblem(
          503,
          `${inFlight} uploads are in progress, the most this service takes at once`,
          {
            headers: { 'retry-after': '1', connection: 'close' },
          },
        );
      }
      inFlight += 1;
      inFlightOf.set(uploaderId, ofUploader + 1);
      try {
        return await acceptUpload(request, reply, uploaderId);
      } finally {
        inFlight -= 1;
        const left = (inFlightOf.get(uploaderId) ?? 1) - 1;
        if (left > 0) inFlightOf.set(uploaderId, left);
        else inFlightOf.delete(uploaderId);
      }
    },
  );

  app.get(
    '/api/v1/media/:mediaId',
    {
      schema: {
        tags: ['media'],
        summary: 'An uploaded photo',
        params: Type.Object({ mediaId: Id() }),
        response: { 200: Media, ...problems(400, 404) },
      },
    },
    async (request) => {
      const mediaId = request.params.mediaId.toLowerCase();
      // The write side's own record (the MediaUploaded event in the media stream): an upload is readable
      // as soon as its POST answered, without waiting for any projection.
      const { state } = await loadAggregate(store, streamIds.media(mediaId), mediaDecider);
      // An erased upload (its uploader's account was deleted) has no file left to show.
      if (state.status !== 'uploaded') throw new HttpProblem(404, `no media ${mediaId}`);
      return mediaView(state.upload, publicUrl);
    },
  );
};

/**
 * Reads the one `file` part: its first bytes decide whether it is an image at all, before the rest is
 * read; the rest is copied as it streams in into one buffer (the decoder needs the whole file, and this is
 * the only whole copy of it: no list of chunks waits to be joined into a second one). The buffer is sized
 * from the request's Content-Length, which bounds the file (a part is smaller than its request), capped at
 * the upload limit; without one it starts small and doubles.
 */
async function receiveImage(request: FastifyRequest): Promise<{ bytes: Buffer; format: ImageFormat }> {
  try {
    return await readImagePart(request);
  } catch (error) {
    throw malformedBodyAsProblem(error);
  }
}

/**
 * The multipart parser (busboy) fails with plain errors on a body that is not what its Content-Type says:
 * `multipart/form-data` without a boundary, a body cut short or not multipart at all. Those are the
 * client's: 400, not the 500 of an unexpected error. Our own problems and the multipart plugin's errors
 * (which carry their status, like 413 for a file over the limit) pass as they are.
 */
function malformedBodyAsProblem(error: unknown): unknown {
  if (error instanceof HttpProblem) return error;
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new HttpProblem(400, `the multipart/form-data body is malformed: ${reason}`);
}

async function readImagePart(request: FastifyRequest): Promise<{ bytes: Buffer; format: ImageFormat }> {
  if (!request.isMultipart()) {
    throw new HttpProblem(400, 'send the photo as multipart/form-data with one part named file');
  }
  const part = await request.file();
  if (!part) throw new HttpProblem(400, 'the request has no file part');
  if (part.fieldname !== 'file') {
    await drain(part);
    throw new HttpProblem(400, 'the photo must be in a part named file', {
      errors: [{ field: 'file', message: 'is required' }],
    });
  }

  const declared = Number(request.headers['content-length']);
  let bytes = Buffer.allocUnsafe(
    Number.isSafeInteger(declared) && declared > 0 ? Math.min(declared, MAX_UPLOAD_BYTES) : 256 * 1024,
  );
  let length = 0;
  let format: ImageFormat | undefined;
  let refused = false;
  for await (const chunk of part.file as AsyncIterable<Buffer>) {
    // Not an image: the rest is read and dropped (not copied), so the 415 goes out on a healthy
    // connection. (Resuming the stream from inside this loop would not do: the loop's iterator holds it.)
    if (refused) continue;
    if (length + chunk.length > bytes.length) {
      const larger = Buffer.allocUnsafe(Math.max(2 * bytes.length, length + chunk.length));
      bytes.copy(larger, 0, 0, length);
      bytes = larger;
    }
    chunk.copy(bytes, length);
    length += chunk.length;
    if (format === undefined && length >= SNIFF_BYTES) {
      format = sniffImageFormat(bytes.subarray(0, length));
      refused = format === undefined;
    }
  }
  if (refused) throw notAnImage();
  if (part.file.truncated) throw new HttpProblem(413, `the file is larger than ${MAX_UPLOAD_BYTES} bytes`);
  if (length === 0) throw new HttpProblem(400, 'the file part is empty');
  if (format === undefined) throw notAnImage();
  return { bytes: bytes.subarray(0, length), format };
}

const notAnImage = () => new HttpProblem(415, 'the file is not a JPEG, PNG or WebP image');

/** Reads and discards the rest of a part, so the request can be answered on a healthy connection. */
async function drain(part: MultipartFile): Promise<void> {
  part.file.resume();
  if (!part.file.readableEnded) await new Promise((resolve) => part.file.once('end', resolve));
}

async function storeRenditions(storage: MediaStorage, mediaId: string, image: ProcessedImage) {
  const keys: string[] = [];
  const remove = async () => {
    await Promise.allSettled(keys.map((key) => storage.delete(key)));
  };
  const put = async (rendition: Rendition, rendered: RenderedImage) => {
    const key = mediaKey(mediaId, rendition, rendered.bytes, image.format);
    keys.push(key);
    await storage.put(key, rendered.bytes, imageMediaType[image.format]);
    return { key, width: rendered.width, height: rendered.height, bytes: rendered.bytes.length };
  };
  // Settled, not raced: a failed put must not leave the others writing after the clean-up ran.
  const [original, standard, thumbnail] = await Promise.allSettled([
    put('original', image.original),
    put('standard', image.standard),
    put('thumbnail', image.thumbnail),
  ]);
  if (
    original.status === 'fulfilled' &&
    standard.status === 'fulfilled' &&
    thumbnail.status === 'fulfilled'
  ) {
    return {
      renditions: { original: original.value, standard: standard.value, thumbnail: thumbnail.value },
      remove,
    };
  }
  await remove();
  const failed = [original, standard, thumbnail].find((r) => r.status === 'rejected');
  throw failed?.reason;
}
