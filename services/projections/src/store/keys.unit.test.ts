import { describe, expect, it } from 'vitest';
import { ms } from './keys.js';

describe('sort keys of timestamps', () => {
  it('reads every toISOString timestamp from 1969 to 2100 as Date.parse does', () => {
    for (let t = Date.UTC(1969, 0, 1); t < Date.UTC(2101, 0, 1); t += 86_400_000 * 3 + 7_654_321) {
      const iso = new Date(t).toISOString();
      expect(ms(iso)).toBe(Date.parse(iso));
    }
  });

  it('leaves dates that do not exist, years below 100, other forms and garbage to Date.parse', () => {
    for (const iso of [
      '2024-02-29T00:00:00.000Z',
      '2025-02-29T00:00:00.000Z',
      '2000-02-29T00:00:00.000Z',
      '2100-02-29T00:00:00.000Z',
      '2025-06-31T00:00:00.000Z',
      '2025-12-32T00:00:00.000Z',
      '2025-04-31T10:00:00.000Z',
      '2025-13-01T00:00:00.000Z',
      '2025-01-00T00:00:00.000Z',
      '2025-01-01T24:00:00.000Z',
      '2025-01-01T23:59:60.000Z',
      '0099-01-01T00:00:00.000Z',
      '2025-01-01T00:00:00.000+01:00',
      '2025-01-01T00:00:00Z',
      '2025-1a-01T00:00:00.000Z',
      'garbage',
    ]) {
      expect(Object.is(ms(iso), Date.parse(iso))).toBe(true);
    }
  });
});
