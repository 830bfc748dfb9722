import { type DomainEvent, definitionOf, payloadErrors } from './catalogue.js';
import { upcast } from './upcasters.js';

/** Metadata every stored event carries beside its payload. */
export interface EventMetadata {
  /** schema version of the payload as stored */
  schemaVersion: number;
  /** the account that caused the event, when a user did */
  actorId?: string;
  /** the request that caused it, for tracing across services */
  correlationId?: string;
  [key: string]: unknown;
}

export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
  constructor(
    readonly type: string,
    readonly errors: string[],
  ) {
    super(`invalid ${type} event: ${errors.join('; ')}`);
  }
}

/**
 * The event as it is appended: payload checked against the current schema, version stamped in
 * the metadata. A payload that breaks its schema is a bug in the writer, never stored.
 */
export function toStoredEvent(
  event: DomainEvent,
  metadata: Omit<EventMetadata, 'schemaVersion'> = {},
): { type: string; data: unknown; metadata: EventMetadata } {
  const definition = definitionOf(event.type);
  if (!definition) throw new InvalidEventError(event.type, ['unknown event type']);
  const errors = payloadErrors(event.type, event.data);
  if (errors.length > 0) throw new InvalidEventError(event.type, errors);
  return { type: event.type, data: event.data, metadata: { ...metadata, schemaVersion: definition.version } };
}

/**
 * A stored event read back as a domain event of today's schema (upcast when stored older).
 * Unknown types give undefined: a reader skips what it does not know rather than failing.
 */
export function fromStoredEvent(stored: {
  type: string;
  data: unknown;
  metadata?: Record<string, unknown>;
}): DomainEvent | undefined {
  if (!definitionOf(stored.type)) return undefined;
  const version = typeof stored.metadata?.schemaVersion === 'number' ? stored.metadata.schemaVersion : 1;
  const { data } = upcast(stored.type, version, stored.data);
  return { type: stored.type, data } as DomainEvent;
}
