import type { TopicOffsets } from 'kafkajs';

/** Commits offsets to the group coordinator: `{ topics: [{ topic, partitions: [{ partition, offset }] }] }`. */
export type CommitOffsets = (offsets: { topics: TopicOffsets[] }) => Promise<void>;

/**
 * The offsets of handled messages that are not committed yet, per partition, and their commits.
 *
 * Committing after every message (or every fetched batch) would put a round trip to the group coordinator between
 * one message and the next: that is most of a consumer's latency at a thousand messages a second. Offsets are
 * therefore committed at most `intervalMs` apart, and whenever the caller must not wait (a graceful stop, a
 * partition about to move). A crash redelivers at most what was handled in the last interval: at least once.
 *
 * Commits go out one at a time, each with the newest offsets at the moment it is sent, so an older offset can
 * never land after a newer one and move a partition backwards.
 */
export class HandledOffsets {
  private pending = new Map<string, { topic: string; partition: number; offset: string }>();
  private lastCommit = Date.now();
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly intervalMs: number) {}

  /** The message before `nextOffset` is handled: `nextOffset` is where the group resumes. */
  handled(topic: string, partition: number, nextOffset: string): void {
    this.pending.set(`${partition}:${topic}`, { topic, partition, offset: nextOffset });
  }

  get due(): boolean {
    return this.pending.size > 0 && Date.now() - this.lastCommit >= this.intervalMs;
  }

  /** Commits everything handled so far; resolves once it is committed (or rejects with the commit's error). */
  flush(commit: CommitOffsets): Promise<void> {
    const run = this.chain.then(async () => {
      if (this.pending.size === 0) return;
      const entries = [...this.pending.values()];
      this.pending = new Map();
      this.lastCommit = Date.now();
      const byTopic = new Map<string, TopicOffsets>();
      for (const { topic, partition, offset } of entries) {
        const entry = byTopic.get(topic) ?? { topic, partitions: [] };
        entry.partitions.push({ partition, offset });
        byTopic.set(topic, entry);
      }
      try {
        await commit({ topics: [...byTopic.values()] });
      } catch (error) {
        // Not committed: keep them unless a newer offset of the same partition was handled meanwhile.
        for (const entry of entries) {
          const key = `${entry.partition}:${entry.topic}`;
          if (!this.pending.has(key)) this.pending.set(key, entry);
        }
        throw error;
      }
    });
    this.chain = run.catch(() => {});
    return run;
  }

  /** Forgets partitions this member no longer owns after a rebalance: their new owner commits them. */
  retain(assignment: Record<string, number[]>): void {
    for (const [key, { topic, partition }] of this.pending) {
      if (!assignment[topic]?.includes(partition)) this.pending.delete(key);
    }
  }
}
