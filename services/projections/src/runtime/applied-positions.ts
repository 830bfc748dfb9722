/**
 * Which global positions the read models have applied, for read-your-writes: a write answers a
 * consistency token naming its event's global position; a read that sends it back waits here until
 * that position is applied (bounded), then queries.
 *
 * Events arrive in global order only within a stream (in-process bus) or a partition (Kafka), so
 * "applied" cannot be one high-water mark: a later position on a fast partition says nothing about
 * an earlier one on a slow partition. What is tracked instead:
 * - the positions applied recently, exactly (a window of `window` positions, evicted oldest first);
 * - a floor: every position at or below it counts as applied. It is where the process started from
 *   (the rebuild's last position in the embedded mode) and rises as the window evicts.
 *
 * Known limits, both of which only make a read wait its full bound and then answer what the read
 * model has: a position of a private event (never published) is never applied (identity names the
 * position of a write's public event in its tokens, or 0 when it has none); and a worker that
 * restarts (distributed mode) starts with floor 0, so tokens of writes applied before the restart
 * are not recognised. A position that a partition lags more than `window` events behind the others
 * is taken as applied once it falls below the floor.
 */
export class AppliedPositions {
  readonly #recent = new Set<number>();
  readonly #window: number;
  #floor: number;
  #highest: number;
  readonly #waiters = new Map<number, Set<() => void>>();

  constructor(options: { floor?: number; window?: number } = {}) {
    this.#floor = options.floor ?? -1;
    this.#highest = this.#floor;
    this.#window = options.window ?? 50_000;
  }

  /** every position at or below this counts as applied */
  get floor(): number {
    return this.#floor;
  }

  /** the highest position applied so far */
  get highest(): number {
    return this.#highest;
  }

  /** Position 0 is the token of a write without read-model effect (service-kit's `noReadModelEffect`). */
  isApplied(position: number): boolean {
    return position <= 0 || position <= this.#floor || this.#recent.has(position);
  }

  /** Records that the read models have applied the event at `position`. */
  applied(position: number): void {
    if (this.isApplied(position)) return;
    this.#recent.add(position);
    if (position > this.#highest) this.#highest = position;
    let raised = false;
    while (this.#recent.size > this.#window) {
      const oldest = this.#recent.values().next().value as number;
      this.#recent.delete(oldest);
      if (oldest > this.#floor) {
        this.#floor = oldest;
        raised = true;
      }
    }
    if (this.#waiters.size === 0) return;
    this.#wake(position);
    if (raised)
      for (const waiting of [...this.#waiters.keys()]) if (waiting <= this.#floor) this.#wake(waiting);
  }

  /**
   * Resolves true once `position` is applied, or false after `timeoutMs` (the caller answers what
   * the read model has then).
   */
  waitFor(position: number, timeoutMs: number): Promise<boolean> {
    if (this.isApplied(position)) return Promise.resolve(true);
    return new Promise((resolve) => {
      let waiters = this.#waiters.get(position);
      if (!waiters) {
        waiters = new Set();
        this.#waiters.set(position, waiters);
      }
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const current = this.#waiters.get(position);
        current?.delete(done);
        if (current?.size === 0) this.#waiters.delete(position);
        resolve(false);
      }, timeoutMs);
      waiters.add(done);
    });
  }

  #wake(position: number): void {
    const waiters = this.#waiters.get(position);
    if (!waiters) return;
    this.#waiters.delete(position);
    for (const wake of waiters) wake();
  }
}
