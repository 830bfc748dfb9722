import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { jpegWithExifAndGps } from '../../test/images.js';
import { stripJpegMetadataInPlace } from './jpeg-metadata.js';

const pixelsOf = async (jpeg: Buffer) => sharp(jpeg).raw().toBuffer();

describe('stripJpegMetadataInPlace', () => {
  it('drops EXIF and GPS inside the given buffer and leaves the compressed pixels untouched', async () => {
    const jpeg = await jpegWithExifAndGps(64, 48);
    const pixelsBefore = await pixelsOf(jpeg);
    expect((await sharp(jpeg).metadata()).exif).toBeDefined();

    const stripped = stripJpegMetadataInPlace(jpeg);

    expect(stripped.buffer).toBe(jpeg.buffer); // no second copy of the file
    expect(stripped.byteOffset).toBe(jpeg.byteOffset);
    expect(stripped.length).toBeLessThan(jpeg.length);
    expect(stripped.includes('SpyCam')).toBe(false);
    const metadata = await sharp(stripped).metadata();
    expect(metadata.exif).toBeUndefined();
    expect(metadata.orientation).toBeUndefined();
    expect((await pixelsOf(stripped)).equals(pixelsBefore)).toBe(true);
  });

  it('returns the buffer itself when there is nothing to drop', async () => {
    const clean = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#08f' } })
      .jpeg()
      .toBuffer();
    expect(stripJpegMetadataInPlace(clean)).toBe(clean);
  });

  it('refuses bytes that are not a JPEG', () => {
    expect(() => stripJpegMetadataInPlace(Buffer.from('not a jpeg at all'))).toThrow('not a JPEG');
  });
});
