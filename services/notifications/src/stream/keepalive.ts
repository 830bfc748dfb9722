/**
 * Calls `tick` every `everyMs`, the first time at `phase` (0 to 1) of the interval: each stream at a phase of its
 * own. Streams opened together (a crowd reconnecting after a restart, or opened in a burst) would otherwise all
 * write their keepalive at the same instant of every interval: with 10,000 streams, 10,000 writes, each a system
 * call, at once, and every other request waiting behind them. Answers the call that stops it.
 */
export function everyAtPhase(everyMs: number, phase: number, tick: () => void): () => void {
  let interval: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    interval = setInterval(tick, everyMs);
    tick();
  }, phase * everyMs);
  return () => {
    clearTimeout(first);
    clearInterval(interval);
  };
}
