import { describe, expect, it } from 'vitest';
import { AppliedPositions } from './applied-positions.js';

describe('AppliedPositions: what a read-your-writes read waits for', () => {
  it('counts everything at or below the floor it started from as applied', () => {
    const applied = new AppliedPositions({ floor: 10 });
    expect(applied.isApplied(10)).toBe(true);
    expect(applied.isApplied(11)).toBe(false);
  });

  it('tracks positions applied out of order exactly: a later position says nothing of an earlier one', () => {
    const applied = new AppliedPositions();
    applied.applied(7);
    expect(applied.isApplied(7)).toBe(true);
    expect(applied.isApplied(5)).toBe(false);
    expect(applied.highest).toBe(7);
  });

  it('wakes a waiting read when its position is applied', async () => {
    const applied = new AppliedPositions();
    const waiting = applied.waitFor(3, 1_000);
    applied.applied(4);
    applied.applied(3);
    await expect(waiting).resolves.toBe(true);
  });

  it('gives up after the timeout when the position never comes', async () => {
    const applied = new AppliedPositions();
    const started = Date.now();
    await expect(applied.waitFor(3, 50)).resolves.toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    applied.applied(3);
    expect(applied.isApplied(3)).toBe(true);
  });

  it('raises the floor as the window evicts, which releases waiters below it', async () => {
    const applied = new AppliedPositions({ window: 2 });
    const waiting = applied.waitFor(1, 1_000);
    applied.applied(2);
    applied.applied(3);
    applied.applied(4);
    expect(applied.floor).toBe(2);
    await expect(waiting).resolves.toBe(true);
    expect(applied.isApplied(3)).toBe(true);
    expect(applied.isApplied(5)).toBe(false);
  });

  it('counts position 0, the token of a write without read-model effect, as applied from the start', () => {
    expect(new AppliedPositions().isApplied(0)).toBe(true);
  });

  it('answers at once for a position already applied', async () => {
    const applied = new AppliedPositions();
    applied.applied(9);
    await expect(applied.waitFor(9, 10_000)).resolves.toBe(true);
  });
});
