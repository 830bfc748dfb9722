import type { RecordedEvent } from '@gram/event-store';
import { type EventMessage, publicMessageOf } from '@gram/messaging';
import { seededRandom } from './history.js';

/** The messages the relay would publish for a history, in log order. */
export function messagesOf(events: readonly RecordedEvent[]): EventMessage[] {
  return events.flatMap((event) => {
    const published = publicMessageOf(event);
    return published ? [published.message] : [];
  });
}

/**
 * What an at-least-once consumer of several topics may see: every message twice (each stream replayed from its
 * start, as after a consumer crash), the streams interleaved at random, each stream's own order kept.
 */
export function twiceShuffled(messages: readonly EventMessage[], seed: number): EventMessage[] {
  const random = seededRandom(seed);
  const streams = new Map<string, EventMessage[]>();
  for (const message of messages) {
    const stream = streams.get(message.streamId) ?? [];
    stream.push(message);
    streams.set(message.streamId, stream);
  }
  const queues = [...streams.values()].map((stream) => {
    // Replay from a random point of the stream's first pass, then the whole stream again.
    const cut = Math.floor(random() * (stream.length + 1));
    return [...stream.slice(0, cut), ...stream, ...stream.slice(cut)];
  });
  const delivered: EventMessage[] = [];
  while (queues.length > 0) {
    const i = Math.floor(random() * queues.length);
    const queue = queues[i] as EventMessage[];
    delivered.push(queue.shift() as EventMessage);
    if (queue.length === 0) queues.splice(i, 1);
  }
  return delivered;
}
