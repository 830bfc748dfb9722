import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { everyAtPhase } from './keepalive.js';

describe('keepalives at a phase of their own', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('ticks first at its phase of the interval, then once every interval, until stopped', () => {
    const ticks: number[] = [];
    const stop = everyAtPhase(1_000, 0.25, () => ticks.push(Date.now()));
    vi.advanceTimersByTime(3_300);
    expect(ticks).toEqual([250, 1_250, 2_250, 3_250]);
    stop();
    vi.advanceTimersByTime(5_000);
    expect(ticks).toHaveLength(4);
  });

  it('spreads streams opened together over the interval', () => {
    const ticks: number[] = [];
    for (const phase of [0, 0.5, 0.999]) everyAtPhase(15_000, phase, () => ticks.push(Date.now()));
    vi.advanceTimersByTime(15_000);
    expect(ticks).toEqual([0, 7_500, 14_985, 15_000]);
  });

  it('stops before its first tick', () => {
    const tick = vi.fn();
    everyAtPhase(1_000, 0.5, tick)();
    vi.advanceTimersByTime(5_000);
    expect(tick).not.toHaveBeenCalled();
  });
});
