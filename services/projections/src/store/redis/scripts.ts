import type { Redis } from 'ioredis';

type Pipeline = ReturnType<Redis['pipeline']>;
type Arg = string | number;

/**
 * A Lua script of the read models, run by its SHA-1 (EVALSHA): ioredis's defineCommand sends the script's body
 * once per connection (loading it when Redis answers NOSCRIPT, in a pipeline too), so each call carries a
 * 40-byte digest rather than the whole body, and Redis finds its compiled script without hashing the body
 * again on every call.
 */
export class RedisScript {
  constructor(
    /** the command's name on the client, unique among the read models' scripts */
    private readonly name: string,
    private readonly lua: string,
    private readonly numberOfKeys: number,
  ) {}

  /** Defines the command on `redis` (once): pipelines made by it afterwards have it. */
  defineOn(redis: Redis): void {
    if (!(this.name in redis))
      redis.defineCommand(this.name, { lua: this.lua, numberOfKeys: this.numberOfKeys });
  }

  /** Queues a call with the script's keys, then its arguments; the pipeline's client must have it defined. */
  queue(pipeline: Pipeline, ...keysAndArgs: Arg[]): void {
    const command = (pipeline as unknown as Record<string, ((...args: Arg[]) => Pipeline) | undefined>)[
      this.name
    ];
    if (typeof command !== 'function') throw new Error(`script ${this.name} is not defined on this client`);
    command.apply(pipeline, keysAndArgs);
  }
}
