import { availableParallelism } from 'node:os';
import sharp, { type Sharp } from 'sharp';
import type { ImageFormat } from './image-format.js';
import { stripJpegMetadataInPlace } from './jpeg-metadata.js';
import { slots } from './processing-slots.js';

/** Images declaring more pixels than this are refused before decoding: a few KB can declare gigapixels. */
export const MAX_INPUT_PIXELS = 50_000_000;
export const STANDARD_WIDTH = 1080;
export const THUMBNAIL_WIDTH = 320;

export interface RenderedImage {
  bytes: Buffer;
  width: number;
  height: number;
}

export interface ProcessedImage {
  format: ImageFormat;
  /** the upload turned upright, re-encoded without any metadata, at its own size */
  original: RenderedImage;
  /** at most STANDARD_WIDTH wide, never enlarged */
  standard: RenderedImage;
  /** at most THUMBNAIL_WIDTH wide, never enlarged */
  thumbnail: RenderedImage;
}

export class ImageRefused extends Error {
  override readonly name = 'ImageRefused';
  constructor(
    readonly reason: 'corrupt' | 'too-many-pixels',
    message: string,
  ) {
    super(message);
  }
}

// libvips' operation cache would keep decoded uploads (each seen once) in memory for nothing.
sharp.cache(false);

/**
 * Uploads processed at once: one per core (MEDIA_PROCESSING_CONCURRENCY overrides). The others wait with
 * their bytes received, a few MB each, instead of each holding a decode in flight: measured with the bench
 * (8 concurrent 3 MB uploads, 2 cores), 8 pipelines at once gave no more uploads/s than 2 but over 100 MB
 * more peak RSS. Each pipeline uses one libvips thread (sharp's default on glibc), so pipelines, not
 * threads, are what spreads the work over the cores.
 */
export const PROCESSING_CONCURRENCY =
  Number(process.env.MEDIA_PROCESSING_CONCURRENCY) > 0
    ? Math.floor(Number(process.env.MEDIA_PROCESSING_CONCURRENCY))
    : availableParallelism();
const processing = slots(PROCESSING_CONCURRENCY);

// failOn 'error': a truncated or damaged file fails to decode instead of yielding a grey-padded image.
const inputOptions = { failOn: 'error', limitInputPixels: MAX_INPUT_PIXELS } as const;

/**
 * Reads the upload whole once (the decode is what proves it is a complete, valid image) straight into
 * pixels at the standard size, turned upright, in sRGB; both variants are encoded from those pixels. A
 * JPEG that needs no turning keeps its own bytes as the original, minus every metadata segment
 * (stripJpegMetadataInPlace, which reuses `input`: the caller hands it over), sparing a full-size encode, the dearest step. Any other original is re-encoded
 * from the upright pixels. Nothing of the input's metadata survives: EXIF (and its GPS block), XMP and
 * IPTC are dropped, as sharp keeps none unless asked to; the orientation is applied to the pixels first,
 * so the picture still stands the right way up without it.
 */
export function processImage(input: Buffer, format: ImageFormat): Promise<ProcessedImage> {
  return processing.run(() => processNow(input, format));
}

async function processNow(input: Buffer, format: ImageFormat): Promise<ProcessedImage> {
  // The header only, without the pixel limit, so a bomb is named as such rather than as a broken file.
  const metadata = await sharp(input, { failOn: 'error', limitInputPixels: false })
    .metadata()
    .catch((error: unknown) => {
      throw new ImageRefused('corrupt', `the file is not a readable ${format} image: ${messageOf(error)}`);
    });
  if (metadata.format !== format) {
    throw new ImageRefused('corrupt', `the file starts like a ${format} image but is not one`);
  }
  const declared = (metadata.width ?? 0) * (metadata.height ?? 0);
  if (declared > MAX_INPUT_PIXELS) {
    throw new ImageRefused(
      'too-many-pixels',
      `the image declares ${metadata.width}x${metadata.height} pixels, more than ${MAX_INPUT_PIXELS / 1e6} megapixels`,
    );
  }

  const decoded = await sharp(input, inputOptions)
    .rotate()
    .resize({ width: STANDARD_WIDTH, withoutEnlargement: true })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch((error: unknown) => {
      throw new ImageRefused('corrupt', `the ${format} image cannot be decoded: ${messageOf(error)}`);
    });
  const { width, height, channels } = decoded.info;
  const pixels = () => sharp(decoded.data, { raw: { width, height, channels } });

  const upright = (metadata.orientation ?? 1) === 1;
  const [original, standard, thumbnail] = await Promise.all([
    format === 'jpeg' && upright
      ? losslessOriginal(input, metadata.width ?? 0, metadata.height ?? 0)
      : encode(sharp(input, inputOptions).rotate().toColourspace('srgb'), format, 'original'),
    encode(pixels(), format, 'standard'),
    encode(pixels().resize({ width: THUMBNAIL_WIDTH, withoutEnlargement: true }), format, 'thumbnail'),
  ]);
  return { format, original, standard, thumbnail };
}

async function losslessOriginal(jpeg: Buffer, width: number, height: number): Promise<RenderedImage> {
  try {
    // In place: the decode, the last reader of the upload as received, has finished.
    return { bytes: stripJpegMetadataInPlace(jpeg), width, height };
  } catch (error) {
    throw new ImageRefused('corrupt', `the jpeg image is malformed: ${messageOf(error)}`);
  }
}

async function encode(
  image: Sharp,
  format: ImageFormat,
  kind: 'original' | 'standard' | 'thumbnail',
): Promise<RenderedImage> {
  const quality = kind === 'original' ? 90 : 82;
  switch (format) {
    case 'jpeg':
      // Huffman tables optimised per image make a file 5-15% smaller. For the standard variant that costs
      // about 9 ms of CPU, a tenth of an upload's work (`pnpm bench media`: 88 -> 79 ms per upload), for
      // 5-6% more bytes; the thumbnail's and the original's cost under a millisecond and are kept.
      image.jpeg({ quality, optimiseCoding: kind !== 'standard' });
      break;
    case 'png':
      image.png();
      break;
    case 'webp':
      image.webp({ quality });
      break;
  }
  const { data, info } = await image.toBuffer({ resolveWithObject: true });
  return { bytes: data, width: info.width, height: info.height };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
}
