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
