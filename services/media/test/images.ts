import sharp from 'sharp';

/** A photo-like gradient, so encoders have something to encode; `w`x`h` as stored (before any EXIF turn). */
function gradient(width: number, height: number): Buffer {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      pixels[i] = (x * 255) / width;
      pixels[i + 1] = (y * 255) / height;
      pixels[i + 2] = 128;
    }
  }
  return pixels;
}

const raw = (width: number, height: number) =>
  sharp(gradient(width, height), { raw: { width, height, channels: 3 } });

/** A JPEG carrying EXIF with a camera make, GPS coordinates and orientation 6 (turn 90° clockwise to view). */
export function jpegWithExifAndGps(width = 1600, height = 1200): Promise<Buffer> {
  return raw(width, height)
    .jpeg({ quality: 85 })
    .withMetadata({ orientation: 6 })
    .withExif({
      IFD0: { Make: 'SpyCam', Model: 'Leaky 1', Copyright: 'secret-owner' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '48/1 51/1 2964/100',
        GPSLongitudeRef: 'E',
        GPSLongitude: '2/1 21/1 792/100',
      },
    })
    .toBuffer();
}

/** Text a JPEG's kept segments may smuggle: markup for whoever renders it, and a location. */
export const smuggledTexts = ['<script>alert(1)</script>', 'GPS 48.8582N'] as const;
const smuggled = Buffer.from(smuggledTexts.join(' '), 'latin1');

/**
 * An upright JPEG in Display P3 whose every segment that can carry text does: a JFIF APP0 with the text
 * after its fields, an ICC profile (APP2) with the text in an extra tag and after the profile's end, an
 * Adobe APP14 with the text after its fields, and a comment (COM).
 */
export async function jpegWithTextInKeptSegments(width = 64, height = 48): Promise<Buffer> {
  const jpeg = await raw(width, height).jpeg({ quality: 85 }).withIccProfile('p3').toBuffer();
  const icc = (await sharp(jpeg).metadata()).icc;
  if (!icc) throw new Error('sharp embedded no ICC profile');
  const segment = (marker: number, payload: Buffer) => {
    const head = Buffer.from([0xff, marker, 0, 0]);
    head.writeUInt16BE(payload.length + 2, 2);
    return Buffer.concat([head, payload]);
  };
  const jfif = Buffer.from([...Buffer.from('JFIF\0', 'latin1'), 1, 2, 1, 0, 72, 0, 72, 0, 0]);
  const adobe = Buffer.from([...Buffer.from('Adobe', 'latin1'), 0, 100, 0, 0, 0, 0, 1]);
  const iccHeader = Buffer.from('ICC_PROFILE\0\x01\x01', 'latin1');
  const rest = jpeg.subarray(2 + 2 + jpeg.readUInt16BE(4)); // after SOI and sharp's own ICC segment
  return Buffer.concat([
    jpeg.subarray(0, 2),
    segment(0xe0, Buffer.concat([jfif, smuggled])),
    segment(0xe2, Buffer.concat([iccHeader, withTextTag(icc, smuggled), smuggled])),
    segment(0xee, Buffer.concat([adobe, smuggled])),
    segment(0xfe, smuggled),
    rest,
  ]);
}

/** The ICC profile with one more tag, a device manufacturer description (`dmnd`) holding `text`. */
function withTextTag(profile: Buffer, text: Buffer): Buffer {
  const count = profile.readUInt32BE(128);
  const tableEnd = 132 + 12 * count;
  const table = Buffer.from(profile.subarray(128, tableEnd));
  table.writeUInt32BE(count + 1, 0);
  for (let i = 0; i < count; i++)
    table.writeUInt32BE(table.readUInt32BE(4 + 12 * i + 4) + 12, 4 + 12 * i + 4);
  const data = Buffer.concat([Buffer.from('text\0\0\0\0', 'latin1'), text, Buffer.from([0])]);
  const entry = Buffer.alloc(12);
  entry.write('dmnd', 0, 'latin1');
  entry.writeUInt32BE(profile.length + 12, 4);
  entry.writeUInt32BE(data.length, 8);
  const result = Buffer.concat([profile.subarray(0, 128), table, entry, profile.subarray(tableEnd), data]);
  result.writeUInt32BE(result.length, 0);
  return result;
}

export function plainJpeg(width = 1600, height = 1200): Promise<Buffer> {
  return raw(width, height)
    .jpeg({ quality: 85 })
    .withExif({ IFD0: { Make: 'SpyCam' } })
    .toBuffer();
}

export function png(width = 500, height = 400): Promise<Buffer> {
  return raw(width, height)
    .png()
    .withExif({ IFD0: { Make: 'SpyCam' } })
    .toBuffer();
}

export function webp(width = 2000, height = 1000): Promise<Buffer> {
  return raw(width, height)
    .webp({ quality: 80 })
    .withExif({ IFD0: { Make: 'SpyCam' } })
    .toBuffer();
}

/** A JPEG cut in half: its header is fine, its pixels end early. */
export async function truncatedJpeg(): Promise<Buffer> {
  const whole = await plainJpeg(800, 600);
  return whole.subarray(0, Math.floor(whole.length / 2));
}

/**
 * A decompression bomb: a valid PNG header declaring 100000 x 100000 pixels (10 gigapixels, 30 GB
 * decoded) followed by a few bytes of data.
 */
export async function pngBomb(): Promise<Buffer> {
  const small = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } })
    .png()
    .toBuffer();
  const bomb = Buffer.from(small);
  // IHDR data starts at byte 16: width, height (big-endian), then the chunk's CRC over type + data.
  bomb.writeUInt32BE(100_000, 16);
  bomb.writeUInt32BE(100_000, 20);
  bomb.writeUInt32BE(crc32(bomb.subarray(12, 29)), 29);
  return bomb;
}

export const textFile = Buffer.from(
  'this is not a photo, just text that someone renamed to photo.jpg\n'.repeat(20),
);

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A multipart/form-data body with the given parts, as a client would send it. */
export function multipartBody(
  parts: { name: string; filename?: string; contentType?: string; data: Buffer | string }[],
): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----gram${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename ? `; filename="${part.filename}"` : ''}`;
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: ${disposition}\r\n` +
          (part.contentType ? `Content-Type: ${part.contentType}\r\n` : '') +
          '\r\n',
      ),
      Buffer.isBuffer(part.data) ? part.data : Buffer.from(part.data),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(chunks),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

/** A JPEG of random pixels: noise does not compress, so a small picture makes a big file (about 0.6 B/pixel). */
export function noiseJpeg(width: number, height: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(Math.random() * 256);
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 80 })
    .toBuffer();
}
