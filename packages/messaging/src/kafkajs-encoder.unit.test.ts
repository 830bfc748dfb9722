import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// kafkajs is patched (patches/kafkajs@2.2.4.patch): its encoder takes buffers from Node's pool without zero-filling
// them and writes varints in place. These tests pin down that what it writes is still the Kafka wire format.
const require = createRequire(import.meta.url);
type Encoder = {
  buffer: Buffer;
  writeVarInt(value: number): Encoder;
  writeInt32(value: number): Encoder;
  writeInt8(value: number): Encoder;
  writeVarLong(value: number): Encoder;
  writeVarIntBytes(value: string): Encoder;
  writeVarIntArray(value: Encoder[]): Encoder;
};
const Encoder: new (initialSize?: number) => Encoder = require('kafkajs/src/protocol/encoder.js');
const Decoder: new (
  buffer: Buffer,
) => {
  offset: number;
  readVarInt(): number;
  readInt32(): number;
  canReadBytes(length: number): boolean;
} = require('kafkajs/src/protocol/decoder.js');
const encodeRecord: (record: {
  key: string;
  value: string;
  headers: Record<string, string>;
  offsetDelta?: number;
}) => Encoder = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
const decodeRecord: (
  decoder: InstanceType<typeof Decoder>,
  batch: { firstOffset: string; firstTimestamp: string; magicByte: number },
) => {
  key: Buffer;
  value: Buffer;
  headers: Record<string, Buffer>;
  offset: string;
} = require('kafkajs/src/protocol/recordBatch/record/v0/decoder.js');

describe('patched kafkajs encoder', () => {
  it('writes varints as zig-zag LEB128, byte for byte', () => {
    const bytes = (value: number) => [...new Encoder(1).writeVarInt(value).buffer];
    expect(bytes(0)).toEqual([0x00]);
    expect(bytes(-1)).toEqual([0x01]);
    expect(bytes(1)).toEqual([0x02]);
    expect(bytes(63)).toEqual([0x7e]);
    expect(bytes(-64)).toEqual([0x7f]);
    expect(bytes(64)).toEqual([0x80, 0x01]);
    expect(bytes(300)).toEqual([0xd8, 0x04]);
    expect(bytes(2 ** 31 - 1)).toEqual([0xfe, 0xff, 0xff, 0xff, 0x0f]);
    expect(bytes(-(2 ** 31))).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
  });

  it('keeps only written bytes when it grows a pooled buffer, so stale pool contents never reach the wire', () => {
    // Dirty the pool first: allocUnsafe hands out whatever these left behind.
    for (let i = 0; i < 64; i++) Buffer.allocUnsafe(512).fill(0xee);
    const encoder = new Encoder(1);
    const values = Array.from({ length: 1_000 }, (_, i) => i * 7_919 - 3_000_000);
    for (const value of values) encoder.writeVarInt(value).writeInt32(value);
    const decoder = new Decoder(encoder.buffer);
    const decoded: number[] = [];
    while (decoder.canReadBytes(1)) {
      decoded.push(decoder.readVarInt());
      decoder.readInt32();
    }
    expect(decoded).toEqual(values);
  });

  it('encodes a record with its CloudEvents headers byte for byte as unpatched kafkajs does, and it decodes back to itself', () => {
    const headers = {
      ce_specversion: '1.0',
      ce_id: '01890a5d-ac96-774b-bcce-b302099a8057',
      ce_type: 'PostLiked',
      ce_position: '123456789',
      ce_note: 'ünïcödé ✓',
    };
    const record = encodeRecord({
      key: 'post-1',
      value: '{"postId":"p","userId":"ü"}',
      headers,
      offsetDelta: 70_000,
    }).buffer;
    // byte for byte what unpatched kafkajs writes: each header through its own encoder, then copied in
    const header: (header: {
      key: string;
      value: string;
    }) => Encoder = require('kafkajs/src/protocol/recordBatch/header/v0/index.js');
    const upstream = new Encoder();
    upstream.writeVarInt(new Decoder(record).readVarInt());
    upstream.writeInt8(0);
    upstream.writeVarLong(0);
    upstream.writeVarInt(70_000);
    upstream.writeVarIntBytes('post-1');
    upstream.writeVarIntBytes('{"postId":"p","userId":"ü"}');
    upstream.writeVarIntArray(Object.entries(headers).map(([key, value]) => header({ key, value })));
    expect(record.equals(upstream.buffer)).toBe(true);

    const decoder = new Decoder(record);
    const length = decoder.readVarInt();
    expect(decoder.offset + length).toBe(record.length);
    const decoded = decodeRecord(decoder, { firstOffset: '10', firstTimestamp: '0', magicByte: 2 });
    expect(decoded.key.toString()).toBe('post-1');
    expect(decoded.value.toString()).toBe('{"postId":"p","userId":"ü"}');
    expect(decoded.offset).toBe('70010');
    expect(Object.fromEntries(Object.entries(decoded.headers).map(([k, v]) => [k, v.toString()]))).toEqual(
      headers,
    );
  });
});
