/**
 * Removes metadata from a JPEG without re-encoding it: the pixels stay bit for bit what was uploaded,
 * and it costs a scan of the bytes instead of a full JPEG encode (the dearest step of an upload).
 *
 * In place: the kept segments are moved down over the dropped ones inside `jpeg` itself, and the result is
 * the front of `jpeg` (all of it when nothing had to go). No second whole copy of the upload is made; the
 * caller gives up `jpeg`, whose bytes past the result are left in an unspecified state.
 *
 * Dropped: every APPn segment but JFIF (APP0), the ICC profile (APP2, colour data without which wide-gamut
 * photos change colour) and Adobe (APP14, which says how to read the colour channels), so EXIF with its GPS
 * block, XMP, IPTC/Photoshop and maker notes go; comments (COM); and anything after the end of image,
 * where some cameras append more metadata. Only called on a file the decoder has already read whole.
 */
export function stripJpegMetadataInPlace(jpeg: Buffer): Buffer {
  const kept = keptRanges(jpeg);
  let length = 0;
  for (const [start, end] of kept) {
    // Ranges come in order and length <= start: a move down, which copyWithin (memmove) does safely.
    if (start !== length) jpeg.copyWithin(length, start, end);
    length += end - start;
  }
  return length === jpeg.length ? jpeg : jpeg.subarray(0, length);
}

/** The [start, end) byte ranges of `jpeg` to keep, in order. */
function keptRanges(jpeg: Buffer): Array<[number, number]> {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('not a JPEG');
  const kept: Array<[number, number]> = [[0, 2]];
  let at = 2;
  let inScan = false;
  while (at < jpeg.length) {
    if (inScan) {
      // Entropy-coded data: 0xFF is followed by 0x00 (a stuffed byte) or a restart marker inside it.
      const next = nextMarker(jpeg, at);
      kept.push([at, next]);
      if (next >= jpeg.length) break;
      at = next;
      inScan = false;
      continue;
    }
    if (jpeg[at] !== 0xff) throw new Error(`JPEG: expected a marker at byte ${at}`);
    const marker = jpeg[at + 1];
    if (marker === undefined) break;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0xd9) {
      kept.push([at, at + 2]);
      break;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      kept.push([at, at + 2]);
      at += 2;
      continue;
    }
    const length = jpeg.readUInt16BE(at + 2);
    const end = at + 2 + length;
    if (length < 2 || end > jpeg.length) throw new Error(`JPEG: segment at byte ${at} runs past the end`);
    if (keepSegment(marker, jpeg.subarray(at + 4, end))) kept.push([at, end]);
    at = end;
    if (marker === 0xda) inScan = true;
  }
  return kept;
}

function keepSegment(marker: number, payload: Buffer): boolean {
  if (marker === 0xfe) return false; // COM
  if (marker < 0xe0 || marker > 0xef) return true; // tables, frame and scan headers
  const id = payload.subarray(0, 12).toString('latin1');
  return (
    (marker === 0xe0 && id.startsWith('JFIF\0')) ||
    (marker === 0xe2 && id.startsWith('ICC_PROFILE\0')) ||
    (marker === 0xee && id.startsWith('Adobe'))
  );
}

/** The offset of the next marker after entropy-coded data starting at `from`, or the length. */
function nextMarker(jpeg: Buffer, from: number): number {
  let at = from;
  for (;;) {
    at = jpeg.indexOf(0xff, at);
    if (at < 0 || at + 1 >= jpeg.length) return jpeg.length;
    const next = jpeg[at + 1] ?? 0;
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) {
      at += next === 0xff ? 1 : 2;
      continue;
    }
    return at;
  }
}
