import { deciderSpec } from '@gram/service-kit/decider-spec';
import { describe, expect, it } from 'vitest';
import { sniffImageFormat } from './image-format.js';
import { type MediaCommand, type MediaEvent, type MediaUpload, mediaDecider } from './media.js';

const spec = deciderSpec(mediaDecider);

const mediaId = '01890a5d-ac96-774b-bcce-b302099a8057';
const upload: MediaUpload = {
  mediaId,
  uploaderId: '01890a5d-ac96-774b-bcce-b302099a8058',
  format: 'jpeg',
  original: { key: `${mediaId}/original-${'a'.repeat(32)}.jpg`, width: 2000, height: 1000, bytes: 300_000 },
  standard: { key: `${mediaId}/standard-${'b'.repeat(32)}.jpg`, width: 1080, height: 540, bytes: 90_000 },
  thumbnail: { key: `${mediaId}/thumbnail-${'c'.repeat(32)}.jpg`, width: 320, height: 160, bytes: 9_000 },
  uploadedAt: '2026-11-24T10:00:00.000Z',
};
const uploaded: MediaEvent = { type: 'MediaUploaded', data: upload };
const record: MediaCommand = { type: 'RecordUpload', data: upload };
const erasedAt = '2026-12-01T08:00:00.000Z';
const erased: MediaEvent = {
  type: 'MediaErased',
  data: { mediaId, uploaderId: upload.uploaderId, erasedAt },
};
const erase: MediaCommand = { type: 'EraseMedia', data: { mediaId, erasedAt } };

describe('media decider', () => {
  it('Given no media, When RecordUpload, Then MediaUploaded with the stored renditions', () => {
    spec().when(record).thenRecords(uploaded);
  });

  it('Given an uploaded media, When RecordUpload under the same id, Then MediaAlreadyUploaded: bytes behind a URL never change', () => {
    spec(uploaded).when(record).thenFailsWith('MediaAlreadyUploaded');
  });

  it('Given an uploaded media, When EraseMedia, Then MediaErased naming its uploader', () => {
    spec(uploaded).when(erase).thenRecords(erased);
  });

  it('Given an erased media, When EraseMedia again, Then nothing happens: a repeated erasure records nothing', () => {
    spec(uploaded, erased).when(erase).thenNothingHappens();
  });

  it('Given no media, When EraseMedia, Then nothing happens: there is nothing to erase, and nothing is refused', () => {
    spec().when(erase).thenNothingHappens();
  });

  it('Given an erased media, When RecordUpload under its id, Then MediaAlreadyUploaded: an erased id is never reused', () => {
    spec(uploaded, erased).when(record).thenFailsWith('MediaAlreadyUploaded');
  });
});

describe('sniffImageFormat', () => {
  const bytes = (...values: number[]) => Uint8Array.from([...values, ...new Array(12).fill(0)]);
  it('recognizes JPEG, PNG and WebP by their magic numbers', () => {
    expect(sniffImageFormat(bytes(0xff, 0xd8, 0xff, 0xe0))).toBe('jpeg');
    expect(sniffImageFormat(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a))).toBe('png');
    expect(sniffImageFormat(Buffer.from('RIFF\x10\0\0\0WEBPVP8 ', 'latin1'))).toBe('webp');
  });

  it('refuses anything else, including GIF, a RIFF that is not WebP, and text', () => {
    expect(sniffImageFormat(Buffer.from('GIF89a......', 'latin1'))).toBeUndefined();
    expect(sniffImageFormat(Buffer.from('RIFF\x10\0\0\0WAVEfmt ', 'latin1'))).toBeUndefined();
    expect(sniffImageFormat(Buffer.from('hello, world', 'latin1'))).toBeUndefined();
  });
});
