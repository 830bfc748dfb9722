import { describe, expect, it } from 'vitest';
import { newClusterId } from './kafka.js';

describe('newClusterId', () => {
  it('is 16 bytes of URL-safe base64 without padding', () => {
    const id = newClusterId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(id, 'base64url')).toHaveLength(16);
  });

  it("draws again when the id would start with '-', which kafka-storage reads as an option", () => {
    // 0xf8 puts 0b111110 (62, '-' in base64url) in the first six bits.
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x00)];
    let calls = 0;
    const id = newClusterId(() => draws[calls++] as Buffer);
    expect(Buffer.alloc(16, 0xf8).toString('base64url').startsWith('-')).toBe(true);
    expect(calls).toBe(2);
    expect(id).toBe(Buffer.alloc(16, 0x00).toString('base64url'));
  });
});
