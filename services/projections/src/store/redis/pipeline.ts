import type { Redis } from 'ioredis';

/** Runs a pipeline, throwing its first error. */
export async function execOrThrow(pipeline: ReturnType<Redis['pipeline']>): Promise<void> {
  for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
}
