import type { ICustomPartitioner } from 'kafkajs';

/**
 * The Java client's default partitioner for keyed messages, `toPositive(murmur2(utf8(key))) % partitions`, the
 * one every Kafka client agrees on: a consumer in any language can tell which partition holds a stream. kafkajs
 * ships the same function built on a 64-bit Long emulation that costs more than the rest of the record's
 * encoding; 32-bit `Math.imul` arithmetic is what murmur2 is defined on, and gives the same partitions (a unit
 * test compares the two).
 */
export const streamPartitioner: ICustomPartitioner = () => {
  return ({ partitionMetadata, message }) => {
    const key = message.key;
    if (key === null || key === undefined) throw new Error('every message is keyed by its stream id');
    return partitionOf(key, partitionMetadata.length);
  };
};

export function partitionOf(key: string | Buffer, partitions: number): number {
  return (murmur2(typeof key === 'string' ? utf8(key) : key) & 0x7fffffff) % partitions;
}

let scratch = Buffer.alloc(1024);

function utf8(text: string): Buffer {
  if (Buffer.byteLength(text) > scratch.length) scratch = Buffer.alloc(Buffer.byteLength(text) * 2);
  const length = scratch.write(text);
  return scratch.subarray(0, length);
}

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

export function murmur2(data: Buffer): number {
  const length = data.length;
  let h = SEED ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k =
      (data[i4] as number) |
      ((data[i4 + 1] as number) << 8) |
      ((data[i4 + 2] as number) << 16) |
      ((data[i4 + 3] as number) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The tail bytes, as the reference implementation's fall-through switch mixes them.
  const tail = length & ~3;
  const rest = length % 4;
  if (rest === 3) h ^= (data[tail + 2] as number) << 16;
  if (rest >= 2) h ^= (data[tail + 1] as number) << 8;
  if (rest >= 1) {
    h ^= data[tail] as number;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}
