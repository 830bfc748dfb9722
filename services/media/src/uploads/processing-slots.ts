/**
 * At most `size` tasks at a time; the others wait their turn, first come first served. Image processing goes
 * through one of these: each libvips pipeline holds its decoded pixels and codec buffers while it runs, so
 * eight uploads decoding at once on two cores take no less time than two at a time, only more memory.
 */
export interface Slots {
  run<T>(task: () => Promise<T>): Promise<T>;
  /** tasks running and waiting, for tests and diagnostics */
  readonly running: number;
  readonly waiting: number;
}

export function slots(size: number): Slots {
  if (!Number.isInteger(size) || size < 1)
    throw new Error(`slots: size must be a positive integer, got ${size}`);
  let running = 0;
  const queue: Array<() => void> = [];
  const release = () => {
    const next = queue.shift();
    if (next)
      next(); // the slot passes straight to the next task
    else running -= 1;
  };
  return {
    async run(task) {
      if (running < size) running += 1;
      else await new Promise<void>((resolve) => queue.push(resolve));
      try {
        return await task();
      } finally {
        release();
      }
    },
    get running() {
      return running;
    },
    get waiting() {
      return queue.length;
    },
  };
}
