import type { Redis } from 'ioredis';
import type { Position } from '../document-store.js';

/**
 * Up to `limit` members of the sorted set `key` strictly after `after`, in (score, member) order, ascending
 * (`order` 1) or descending (-1): a keyset page, as the memory adapter's (ordering.ts). Redis orders equal
 * scores by member in the direction of the range, so only the members sharing the cursor's score need a look:
 * those on the cursor's side of its id are skipped. Equal scores (two documents of the same millisecond) are
 * rare, so the first read nearly always suffices.
 */
export async function sortedPage(
  redis: Redis,
  key: string,
  after: Position | undefined,
  order: 1 | -1,
  limit: number,
): Promise<Position[]> {
  const found: Position[] = [];
  for (let offset = 0; found.length < limit; ) {
    const count = limit - found.length + 8;
    const raw =
      order === -1
        ? await redis.zrevrangebyscore(
            key,
            after ? after.value : '+inf',
            '-inf',
            'WITHSCORES',
            'LIMIT',
            offset,
            count,
          )
        : await redis.zrangebyscore(
            key,
            after ? after.value : '-inf',
            '+inf',
            'WITHSCORES',
            'LIMIT',
            offset,
            count,
          );
    for (let i = 0; i + 1 < raw.length && found.length < limit; i += 2) {
      const entry = { id: raw[i] as string, value: Number(raw[i + 1]) };
      if (
        after &&
        entry.value === after.value &&
        (order === -1 ? entry.id >= after.id : entry.id <= after.id)
      )
        continue;
      found.push(entry);
    }
    if (raw.length < count * 2) break;
    offset += count;
  }
  return found;
}
