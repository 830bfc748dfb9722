export type ImageFormat = 'jpeg' | 'png' | 'webp';

/** The media type each format is stored and served with. */
export const imageMediaType: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
};

/** Every media type a stored image is served with. */
export const imageMediaTypes: readonly string[] = Object.values(imageMediaType);

/** How many leading bytes `sniffImageFormat` needs. */
export const SNIFF_BYTES = 12;

/**
 * The format the bytes themselves announce, from their magic numbers: never the file name or the
 * declared content type, which the client chooses. Whether the rest of the file is a valid image of
 * that format is for the decoder to say.
 */
export function sniffImageFormat(head: Uint8Array): ImageFormat | undefined {
  const starts = (bytes: readonly number[], at = 0) => bytes.every((byte, i) => head[at + i] === byte);
  if (starts([0xff, 0xd8, 0xff])) return 'jpeg';
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  // RIFF <4-byte size> WEBP
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return 'webp';
  return undefined;
}
