import type { RecordedEvent } from '@gram/event-store';
import { topicOf, upcast } from '@gram/events';
import type { EventMessage } from './messages.js';

/** A message bound for its topic. */
export interface TopicMessage {
  topic: string;
  message: EventMessage;
}

/**
 * The message a recorded event becomes on its way out of the event store, or undefined when it must stay home:
 * private events (credentials, sessions, contact data) and types this code does not know, which are private by
 * default. An internal event (who muted whom) becomes a message of its `internal.` topic: published, though
 * not public, for the project's own workers only. The payload is upcast to the catalogue's current version, so a topic carries one schema per event
 * type however old the stored event is.
 *
 * An event stored at a version newer than this code throws (UnknownEventVersionError): publishing it under an
 * older version number would mislabel it, and skipping it would lose it. The caller stops and retries until
 * it is upgraded.
 */
export function publicMessageOf(event: RecordedEvent): TopicMessage | undefined {
  const topic = topicOf(event.type);
  if (topic === undefined) return undefined;
  const stored = event.metadata.schemaVersion;
  // No stamped version means the first one, as for every reader of the store (see fromStoredEvent).
  const { version, data } = upcast(event.type, typeof stored === 'number' ? stored : 1, event.data);
  return {
    topic,
    message: {
      id: event.id,
      type: event.type,
      version,
      streamId: event.streamId,
      streamRevision: event.revision,
      position: event.position,
      time: event.createdAt.toISOString(),
      data,
    },
  };
}
