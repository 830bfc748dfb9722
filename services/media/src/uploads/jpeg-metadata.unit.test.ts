import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { jpegWithExifAndGps, jpegWithTextInKeptSegments, smuggledTexts } from '../../test/images.js';
import { stripJpegMetadataInPlace } from './jpeg-metadata.js';

const pixelsOf = async (jpeg: Buffer) => sharp(jpeg).raw().toBuffer();
/** The numbers the file holds, not turned into sRGB through its ICC profile as `pixelsOf` (and a viewer) does. */
const storedPixelsOf = async (jpeg: Buffer) => sharp(jpeg, { ignoreIcc: true }).raw().toBuffer();

function iccTagsOf(profile: Buffer): string[] {
  const count = profile.readUInt32BE(128);
  return Array.from({ length: count }, (_, i) => profile.toString('latin1', 132 + 12 * i, 136 + 12 * i));
}

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

  it('keeps no text of the JFIF, ICC and Adobe segments, and no comment: only what rendering reads', async () => {
    const jpeg = await jpegWithTextInKeptSegments();
    for (const text of smuggledTexts) expect(jpeg.includes(text)).toBe(true);
    const inputIcc = (await sharp(jpeg).metadata()).icc;
    expect(iccTagsOf(inputIcc as Buffer)).toEqual(expect.arrayContaining(['desc', 'cprt', 'dmnd']));
    const storedBefore = await storedPixelsOf(jpeg);
    const shownBefore = await pixelsOf(jpeg);
    expect(shownBefore.equals(storedBefore)).toBe(false); // Display P3 numbers are not sRGB numbers

    const stripped = stripJpegMetadataInPlace(jpeg);

    for (const text of smuggledTexts) expect(stripped.includes(text), text).toBe(false);
    const metadata = await sharp(stripped).metadata();
    expect(metadata.comments).toBeUndefined();
    expect(metadata.density).toBe(72);
    expect(iccTagsOf(metadata.icc as Buffer).sort()).toEqual(
      ['bTRC', 'bXYZ', 'chad', 'gTRC', 'gXYZ', 'rTRC', 'rXYZ', 'wtpt'].sort(),
    );
    expect((await storedPixelsOf(stripped)).equals(storedBefore)).toBe(true);
    // The colours as shown are the same: the profile still says what the numbers mean.
    expect((await pixelsOf(stripped)).equals(shownBefore)).toBe(true);
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
