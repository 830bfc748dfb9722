import { describe, expect, it } from 'vitest';
import { counting } from '../../test/counting.js';
import { community, expectTopPagingOnce } from '../../test/ranked.js';
import { counters } from '../read-models/registry.js';
import { createMemoryReadModelStore } from '../store/memory.js';
import { ReadModelQueries } from './read-model-queries.js';

describe('ranked pages', () => {
  it("a tag's top page and explore's first page read their own page's documents from a maintained ranking, however many posts are ranked", async () => {
    const { store, viewer } = await community(400, createMemoryReadModelStore({ counters }));
    const { store: counted, read } = counting(store);
    const queries = new ReadModelQueries(() => counted, { now: () => Date.UTC(2025, 0, 2) });

    const top = await queries.taggedPosts('big', 'top', { limit: 5 }, viewer);
    expect(top.items).toHaveLength(5);
    expect(read.get('tagged') ?? 0).toBeLessThan(20);
    expect(read.get('posts') ?? 0).toBeLessThan(20);

    read.clear();
    const explored = await queries.explore({ limit: 5 });
    expect(explored.items).toHaveLength(5);
    expect(read.get('explorable') ?? 0).toBeLessThan(20);
    expect(read.get('posts') ?? 0).toBeLessThan(20);
  });

  it('paging a tag top past the frozen block shows every post once while likes and unlikes reorder the ranking', async () => {
    await expectTopPagingOnce(createMemoryReadModelStore({ counters }));
  });

  it('answers 400 for a cursor whose offset is past what its ranking froze', async () => {
    const { store } = await community(30, createMemoryReadModelStore({ counters }));
    const queries = new ReadModelQueries(() => store);
    const first = await queries.taggedPosts('big', 'top', { limit: 5 });
    const [, snapshotId] = JSON.parse(Buffer.from(first.nextCursor ?? '', 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify([500, snapshotId])).toString('base64url');
    await expect(queries.taggedPosts('big', 'top', { limit: 5, cursor: forged })).rejects.toMatchObject({
      status: 400,
    });
  });
});
