import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EventStore } from '@gram/event-store';
import { batches } from './batches.js';
import { publicMessageOf } from './event-messages.js';
import { errorFields, type Logger, stderrLogger } from './logger.js';
import type { SubscribeOptions } from './messages.js';
import { backoffMs, defaultRetryPolicy, sleep } from './retry.js';

/** Where the embedded mode's reactions remember how far into the log they are. */
export interface ReactionCheckpoint {
  /** the position after which reactions resume; undefined when none was ever saved */
  load(): number | undefined;
  save(position: number): void;
}

/** The checkpoint in a small file of its own (written aside, then renamed over the old one). */
export function fileReactionCheckpoint(path: string): ReactionCheckpoint {
  return {
    load() {
      try {
        const { position } = JSON.parse(readFileSync(path, 'utf8')) as { position?: unknown };
        return typeof position === 'number' ? position : undefined;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    save(position) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(`${path}.tmp`, JSON.stringify({ position }));
      renameSync(`${path}.tmp`, path);
    },
  };
}

/** A checkpoint kept in memory: for tests, and an embedded app without a data directory. */
export function memoryReactionCheckpoint(): ReactionCheckpoint {
  let saved: number | undefined;
  return {
    load: () => saved,
    save(position) {
      saved = position;
    },
  };
}

export interface LogReactionsOptions {
  store: EventStore;
  /** the reactions, as each service exports them for a consumer group of its own (topics and handler) */
  reactions: readonly SubscribeOptions[];
  checkpoint: ReactionCheckpoint;
  /** the longest between two saves of the checkpoint while events flow (it is also saved on stop) */
  saveEveryMs?: number;
  logger?: Logger;
}

export interface LogReactions {
  /** the position of the last event every reaction is done with */
  readonly position: number;
  stop(): Promise<void>;
}

/**
 * The embedded mode's way to run the reactions of services (what a block ends, what a switch to public accepts):
 * the events of the log, in order, handed to each reaction whose topics carry them, one at a time, from where the
 * last run left off. The in-process bus cannot serve here: it keeps no history and the embedded relay starts where
 * the rebuilt read models end, so a block appended just before a crash would never reach its reaction. Here a
 * checkpoint (a file under DATA_DIR) says how far every reaction is done; a restart resumes after it and hands over
 * again what came after the last save, which the reactions, idempotent, take as the redelivery it is.
 *
 * With no checkpoint yet (a new data directory, or the first start of a version with reactions), it starts at the
 * log's head: what came before had no reaction to wait for.
 *
 * A reaction that fails is retried with backoff until it succeeds: skipping it would lose what it had to do, and
 * the log's order is kept meanwhile. Distributed, each reaction is a Kafka consumer group of its own instead.
 */
export async function startLogReactions(options: LogReactionsOptions): Promise<LogReactions> {
  const { store, reactions, checkpoint } = options;
  const logger = options.logger ?? stderrLogger;
  const saveEveryMs = options.saveEveryMs ?? 1_000;
  let position = checkpoint.load() ?? (await store.headPosition());
  let saved = position;
  let savedAt = Date.now();
  let stopping = false;
  let subscription: ReturnType<EventStore['subscribeToAll']> | undefined;

  const save = () => {
    if (position === saved) return;
    checkpoint.save(position);
    saved = position;
    savedAt = Date.now();
  };

  const react = async (
    reaction: SubscribeOptions,
    message: NonNullable<ReturnType<typeof publicMessageOf>>,
  ) => {
    for (let failures = 0; ; failures++) {
      try {
        await reaction.handler(message.message);
        return;
      } catch (error) {
        if (stopping) throw error;
        logger.error(
          {
            ...errorFields(error),
            groupId: reaction.groupId,
            eventId: message.message.id,
            failures: failures + 1,
          },
          'a reaction failed; retrying it before any later event',
        );
        await sleep(backoffMs(defaultRetryPolicy, Math.min(failures + 1, 10)));
      }
    }
  };

  const run = async (): Promise<void> => {
    while (!stopping) {
      try {
        subscription = store.subscribeToAll({ after: position });
        for await (const batch of batches(subscription, { maxItems: 500, idleMs: saveEveryMs })) {
          for (const event of batch) {
            const message = publicMessageOf(event);
            if (message) {
              for (const reaction of reactions) {
                if (reaction.topics.includes(message.topic)) await react(reaction, message);
              }
            }
            position = event.position;
          }
          if (Date.now() - savedAt >= saveEveryMs) save();
        }
        return;
      } catch (error) {
        if (stopping) return;
        logger.error({ ...errorFields(error), position }, 'reactions stopped reading the log; resuming');
        await sleep(backoffMs(defaultRetryPolicy, 3));
      } finally {
        await subscription?.close();
      }
    }
  };
  const running = run();

  return {
    get position() {
      return position;
    },
    async stop() {
      stopping = true;
      await subscription?.close();
      await running;
      save();
    },
  };
}
