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
 * where some cameras append more metadata. The three kept ones are rewritten with only what a decoder
 * reads (see `canonicalJfif`, `canonicalAdobe`, `renderingProfile`): each can otherwise carry any text
 * after its fields, or in the profile's description tags. Only called on a file the decoder has already
 * read whole.
 */
export function stripJpegMetadataInPlace(jpeg: Buffer): Buffer {
  let length = 0;
  for (const piece of keptPieces(jpeg)) {
    if (Buffer.isBuffer(piece)) {
      // A rewritten segment, never longer than what it replaces: it ends before any byte not yet moved.
      piece.copy(jpeg, length);
      length += piece.length;
      continue;
    }
    const [start, end] = piece;
    // Ranges come in order and length <= start: a move down, which copyWithin (memmove) does safely.
    if (start !== length) jpeg.copyWithin(length, start, end);
    length += end - start;
  }
  return length === jpeg.length ? jpeg : jpeg.subarray(0, length);
}

/** What the result is made of, in order: [start, end) byte ranges of `jpeg`, or rewritten segments. */
type Piece = [start: number, end: number] | Buffer;

function keptPieces(jpeg: Buffer): Piece[] {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('not a JPEG');
  const kept: Piece[] = [[0, 2]];
  const iccChunks: { at: number; payload: Buffer }[] = [];
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
    const payload = jpeg.subarray(at + 4, end);
    if (marker === 0xe2 && payload.toString('latin1', 0, 12) === 'ICC_PROFILE\0') {
      // Its chunks are joined once all are seen; the rebuilt profile takes the place of the last one.
      iccChunks.push({ at: kept.length, payload });
      kept.push([at, at]);
    } else if (marker === 0xe0 || marker === 0xee) {
      const rewritten = marker === 0xe0 ? canonicalJfif(payload) : canonicalAdobe(payload);
      if (rewritten) kept.push(segment(marker, rewritten));
    } else if (marker !== 0xfe && (marker < 0xe0 || marker > 0xef)) {
      kept.push([at, end]); // tables, frame and scan headers
    }
    at = end;
    if (marker === 0xda) inScan = true;
  }
  const last = iccChunks.at(-1);
  if (last) {
    const profile = renderingProfile(iccChunks.map((chunk) => chunk.payload));
    const rewritten = profile ? iccSegments(profile) : Buffer.alloc(0);
    // Rebuilt from a subset of the profile, it fits in the segments it replaces; if it somehow does not, the
    // picture is shown without a profile rather than the copy overrunning bytes not yet moved.
    const replaced = iccChunks.reduce((sum, chunk) => sum + 4 + chunk.payload.length, 0);
    kept[last.at] = rewritten.length <= replaced ? rewritten : Buffer.alloc(0);
  }
  return kept;
}

function segment(marker: number, payload: Buffer): Buffer {
  const bytes = Buffer.alloc(4 + payload.length);
  bytes[0] = 0xff;
  bytes[1] = marker;
  bytes.writeUInt16BE(2 + payload.length, 2);
  payload.copy(bytes, 4);
  return bytes;
}

/**
 * JFIF (APP0) as decoders read it: its version, and the pixel density that gives the pixels' aspect ratio.
 * The thumbnail and whatever follows the fields are dropped. Not JFIF, or too short to be: nothing.
 */
function canonicalJfif(payload: Buffer): Buffer | undefined {
  if (payload.length < 14 || payload.toString('latin1', 0, 5) !== 'JFIF\0') return undefined;
  return Buffer.concat([payload.subarray(0, 12), Buffer.from([0, 0])]);
}

/**
 * Adobe (APP14) as decoders read it: the transform byte (whether the channels are YCbCr, YCCK or as they
 * are); its version is fixed and its two flag words, which no decoder reads, are zero.
 */
function canonicalAdobe(payload: Buffer): Buffer | undefined {
  if (payload.length < 12 || payload.toString('latin1', 0, 5) !== 'Adobe') return undefined;
  return Buffer.from([...Buffer.from('Adobe', 'latin1'), 0, 100, 0, 0, 0, 0, payload[11] ?? 0]);
}

/**
 * The ICC profile tags a colour transform reads: the white and black points, the chromatic adaptation, the
 * RGB (or grey) matrix and curves, and the lookup tables of LUT-based profiles (CMYK JPEGs). The text
 * tags (description, copyright, device and viewing descriptions) and any private tag are dropped: no
 * transform reads them (lcms, which libvips uses, shows the same colours without them; see the tests).
 */
const renderingTags = new Set(
  'wtpt bkpt chad rXYZ gXYZ bXYZ rTRC gTRC bTRC kTRC A2B0 A2B1 A2B2 B2A0 B2A1 B2A2 cicp'.split(' '),
);

/**
 * The profile spread over `chunks` (APP2 payloads: "ICC_PROFILE\0", sequence number, count, data), rebuilt
 * with the rendering tags only, each tag's data cut to what its type holds where that is plain (XYZ
 * numbers, curves) so nothing rides after it, and the header's free fields (creator, device, date, the
 * profile id that no longer matches) zeroed. A malformed profile gives nothing: a decoder would ignore it.
 */
function renderingProfile(chunks: Buffer[]): Buffer | undefined {
  const ordered = [...chunks].sort((a, b) => (a[12] ?? 0) - (b[12] ?? 0));
  const profile = Buffer.concat(ordered.map((chunk) => chunk.subarray(14)));
  if (profile.length < 132 || profile.toString('latin1', 36, 40) !== 'acsp') return undefined;
  const size = Math.min(profile.readUInt32BE(0), profile.length);
  const count = profile.readUInt32BE(128);
  if (132 + 12 * count > size) return undefined;
  const tags: { signature: string; data: Buffer }[] = [];
  for (let i = 0; i < count; i++) {
    const entry = 132 + 12 * i;
    const signature = profile.toString('latin1', entry, entry + 4);
    const offset = profile.readUInt32BE(entry + 4);
    const length = profile.readUInt32BE(entry + 8);
    if (offset + length > size || length < 8) return undefined;
    if (renderingTags.has(signature))
      tags.push({ signature, data: tagData(profile.subarray(offset, offset + length)) });
  }
  const header = Buffer.from(profile.subarray(0, 128));
  for (const [from, to] of [
    [4, 8],
    [24, 36],
    [40, 64],
    [80, 128],
  ] as const)
    header.fill(0, from, to);
  // Tags sharing one data block (an RGB profile's three curves often do) keep sharing it.
  const blocks = new Map<string, { offset: number; data: Buffer }>();
  let offset = 128 + 4 + 12 * tags.length;
  const table = Buffer.alloc(4 + 12 * tags.length);
  table.writeUInt32BE(tags.length, 0);
  tags.forEach(({ signature, data }, i) => {
    const key = data.toString('latin1');
    let block = blocks.get(key);
    if (!block) {
      block = { offset, data };
      blocks.set(key, block);
      offset += Math.ceil(data.length / 4) * 4; // tag data starts on a 4-byte boundary
    }
    table.write(signature, 4 + 12 * i, 'latin1');
    table.writeUInt32BE(block.offset, 8 + 12 * i);
    table.writeUInt32BE(data.length, 12 + 12 * i);
  });
  const rebuilt = Buffer.alloc(offset);
  header.copy(rebuilt, 0);
  rebuilt.writeUInt32BE(offset, 0);
  table.copy(rebuilt, 128);
  for (const { offset: at, data } of blocks.values()) data.copy(rebuilt, at);
  return rebuilt;
}

/** A tag's data without what may follow its values: XYZ numbers, a curve, a parametric curve. */
function tagData(data: Buffer): Buffer {
  const type = data.toString('latin1', 0, 4);
  const parameters = [1, 3, 4, 5, 7];
  const length =
    type === 'XYZ '
      ? 8 + 12 * Math.floor((data.length - 8) / 12)
      : type === 'curv' && data.length >= 12
        ? 12 + 2 * data.readUInt32BE(8)
        : type === 'para' && data.length >= 10
          ? 12 + 4 * (parameters[data.readUInt16BE(8)] ?? 0)
          : data.length;
  return data.subarray(0, Math.min(length, data.length));
}

/** The profile as APP2 segments of at most 65,519 bytes of profile each, as the ICC specification splits it. */
function iccSegments(profile: Buffer): Buffer {
  const perSegment = 65_519;
  const count = Math.ceil(profile.length / perSegment);
  const segments: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const part = profile.subarray(i * perSegment, (i + 1) * perSegment);
    const head = Buffer.from('ICC_PROFILE\0\0\0', 'latin1');
    head[12] = i + 1;
    head[13] = count;
    segments.push(segment(0xe2, Buffer.concat([head, part])));
  }
  return Buffer.concat(segments);
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
