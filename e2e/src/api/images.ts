import sharp from 'sharp';

/** A photo as a phone takes it: 2000×1500 JPEG with EXIF, including where it was taken (GPS). */
export function jpegWithLocation(): Promise<Buffer> {
  return sharp({ create: { width: 2000, height: 1500, channels: 3, background: { r: 200, g: 120, b: 40 } } })
    .jpeg({ quality: 80 })
    .withExif({
      IFD0: { Make: 'GramPhone', Model: 'E2E', Copyright: 'e2e-owner' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '48/1 8/1 0/1',
        GPSLongitudeRef: 'E',
        GPSLongitude: '11/1 34/1 0/1',
      },
    })
    .toBuffer();
}

/** Text a JPEG's JFIF, ICC and comment segments can carry: markup for whoever renders it, and a location. */
export const smuggledTexts = ['<script>alert(1)</script>', 'GPS 48.8582N'] as const;

/**
 * An upright JPEG in Display P3 carrying `smuggledTexts` after the fields of its JFIF segment (APP0), after
 * the end of its ICC profile (APP2), and in a comment (COM).
 */
export async function jpegWithTextInSegments(): Promise<Buffer> {
  const jpeg = await sharp({ create: { width: 1200, height: 900, channels: 3, background: '#c87828' } })
    .jpeg({ quality: 80 })
    .withIccProfile('p3')
    .toBuffer();
  const text = Buffer.from(smuggledTexts.join(' '), 'latin1');
  const segment = (marker: number, ...parts: Buffer[]) => {
    const payload = Buffer.concat(parts);
    const head = Buffer.from([0xff, marker, 0, 0]);
    head.writeUInt16BE(payload.length + 2, 2);
    return Buffer.concat([head, payload]);
  };
  // sharp writes SOI, then its ICC segment (APP2) first.
  const iccEnd = 4 + jpeg.readUInt16BE(4);
  const jfif = Buffer.from([...Buffer.from('JFIF\0', 'latin1'), 1, 2, 1, 0, 72, 0, 72, 0, 0]);
  return Buffer.concat([
    jpeg.subarray(0, 2),
    segment(0xe0, jfif, text),
    segment(0xe2, jpeg.subarray(4, iccEnd), text),
    segment(0xfe, text),
    jpeg.subarray(iccEnd),
  ]);
}

export function smallPng(): Promise<Buffer> {
  return sharp({
    create: { width: 64, height: 48, channels: 4, background: { r: 0, g: 90, b: 200, alpha: 1 } },
  })
    .png()
    .toBuffer();
}

export function smallWebp(): Promise<Buffer> {
  return sharp({ create: { width: 40, height: 40, channels: 3, background: { r: 10, g: 200, b: 10 } } })
    .webp()
    .toBuffer();
}

export interface ImageFacts {
  format: string | undefined;
  width: number | undefined;
  height: number | undefined;
  hasExif: boolean;
}

export async function imageFacts(bytes: Uint8Array): Promise<ImageFacts> {
  const metadata = await sharp(bytes).metadata();
  return {
    format: metadata.format,
    width: metadata.width,
    height: metadata.height,
    hasExif: metadata.exif !== undefined,
  };
}

/** A multipart body with one part `file`, as a browser sends an upload. */
export function uploadForm(bytes: Uint8Array, fileName: string, contentType: string): FormData {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type: contentType }), fileName);
  return form;
}
