import type { ChainableCommander, Redis } from 'ioredis';

/** The replies of some commands of a pipeline, each `[error, result]`. */
export type Replies = [Error | null, unknown][];

const turns = new WeakMap<Redis, TurnPipeline>();

interface Waiting {
  from: number;
  to: number;
  resolve: (replies: Replies) => void;
  reject: (error: unknown) => void;
}

/**
 * One Redis pipeline for the writes of a turn of the event loop. A worker applies a batch's streams side by side,
 * and each event's write is a few commands: sent as a pipeline of their own, they cost a socket write each (a
 * system call, and a wake-up of Redis), which was a fifth of a worker's CPU in the live bench. The writes
 * begun within one turn are sent together instead, in the order they were begun, when the turn's check phase
 * runs (setImmediate: where ioredis sends its auto-pipelined commands too), and each caller gets the replies of
 * its own commands.
 *
 * Ordering is what a pipeline of one's own gives: a caller's commands are consecutive and in its order, and a
 * caller that awaits its replies before writing again has its writes applied in that order. Nothing is atomic
 * (a pipeline never was); a failed command fails only the caller that sent it, and a pipeline that cannot be
 * sent (the connection lost) fails every caller of the turn with the client's error (in its replies, or as
 * the rejection).
 */
export class TurnPipeline {
  /** The turn pipeline of a client: one per client, as its connection is one. */
  static of(redis: Redis): TurnPipeline {
    let turn = turns.get(redis);
    if (!turn) {
      turn = new TurnPipeline(redis);
      turns.set(redis, turn);
    }
    return turn;
  }

  #pipeline: ChainableCommander | undefined;
  #waiting: Waiting[] = [];

  constructor(private readonly redis: Redis) {}

  /** Queues the commands `add` puts in the turn's pipeline; resolves with their replies once it has run. */
  run(add: (pipeline: ChainableCommander) => void): Promise<Replies> {
    if (this.#pipeline === undefined) {
      this.#pipeline = this.redis.pipeline();
      setImmediate(() => this.#send());
    }
    const pipeline = this.#pipeline;
    const from = pipeline.length;
    add(pipeline);
    const to = pipeline.length;
    if (to === from) return Promise.resolve([]);
    return new Promise((resolve, reject) => this.#waiting.push({ from, to, resolve, reject }));
  }

  /** As `run`, throwing the first error among its replies. */
  async runOrThrow(add: (pipeline: ChainableCommander) => void): Promise<Replies> {
    const replies = await this.run(add);
    for (const [error] of replies) if (error) throw error;
    return replies;
  }

  async #send(): Promise<void> {
    const pipeline = this.#pipeline as ChainableCommander;
    const waiting = this.#waiting;
    this.#pipeline = undefined;
    this.#waiting = [];
    if (waiting.length === 0) return;
    try {
      const replies = ((await pipeline.exec()) ?? []) as Replies;
      for (const { from, to, resolve } of waiting) resolve(replies.slice(from, to));
    } catch (error) {
      for (const { reject } of waiting) reject(error);
    }
  }
}
