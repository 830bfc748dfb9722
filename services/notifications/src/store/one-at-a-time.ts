/**
 * Runs the tasks of one key one after another, those of different keys side by side: a store's updates of one
 * document in this process (the consumer applies a batch's streams side by side, and the likes of one post all
 * change its notification).
 */
export class OneAtATime {
  /** the tail of the tasks of each key under way */
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    const run = previous ? previous.then(task) : task();
    const tail = run.catch(() => {});
    this.tails.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
