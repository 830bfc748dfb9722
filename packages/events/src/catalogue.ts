import './formats.js';
import type { TObject } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler, ValueErrorType } from '@sinclair/typebox/compiler';
import { contentEvents } from './content.js';
import type { DomainEventOf, EventDefinition, PersonalFields, Visibility } from './define.js';
import { identityEvents } from './identity.js';
import { mediaEvents } from './media.js';
import { socialGraphEvents } from './social-graph.js';

/** Every event of the domain, each with its current version. */
export const catalogue = [...identityEvents, ...contentEvents, ...socialGraphEvents, ...mediaEvents] as const;

export type CatalogueDefinition = (typeof catalogue)[number];
export type EventType = CatalogueDefinition['type'];
/** Any event of the domain at its current version, as a tagged union. */
export type DomainEvent = DomainEventOf<CatalogueDefinition>;
export type EventOfType<T extends EventType> = Extract<DomainEvent, { type: T }>;
export type PayloadOfType<T extends EventType> = EventOfType<T>['data'];

const byType = new Map<string, EventDefinition>(catalogue.map((d) => [d.type, d]));
const validators = new Map<string, TypeCheck<TObject>>();

export function definitionOf(type: string): EventDefinition | undefined {
  return byType.get(type);
}

/** Event type → its personal fields, for the event types that have some (see PersonalFields). */
export const personalFields: Readonly<Record<string, PersonalFields>> = Object.fromEntries(
  catalogue.flatMap((definition: EventDefinition) =>
    definition.personal ? [[definition.type, definition.personal]] : [],
  ),
);

/** Event type → its secret fields, for the event types that have some (see EventDefinition.secret). */
export const secretFields: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  catalogue.flatMap((definition: EventDefinition) =>
    definition.secret ? [[definition.type, definition.secret]] : [],
  ),
);

/**
 * The payload `data` of an event of `type` without its secret fields, for showing an event to a person (an
 * account's export); the same object when it has none. A type the catalogue does not know is returned as it is:
 * the caller decides whether to show what the catalogue cannot vouch for.
 */
export function withoutSecrets(type: string, data: unknown): unknown {
  const secrets = secretFields[type];
  if (!secrets || typeof data !== 'object' || data === null) return data;
  const shown: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  for (const field of secrets) delete shown[field];
  return shown;
}

export function isEventType(type: string): type is EventType {
  return byType.has(type);
}

export function isPublicEvent(type: string): boolean {
  return byType.get(type)?.visibility === 'public';
}

/**
 * The topic a public or internal event goes to; undefined for private or unknown events, which never leave
 * their service.
 */
export function topicOf(type: string): string | undefined {
  const definition = byType.get(type);
  return definition?.visibility === 'private' ? undefined : (definition?.aggregate.topic ?? undefined);
}

const topicsOf = (visibility: Visibility) => [
  ...new Set(
    catalogue.flatMap((d) => (d.visibility === visibility && d.aggregate.topic ? [d.aggregate.topic] : [])),
  ),
];

/** Every public topic, each once: what analytics consumers may read. */
export const publicTopics: readonly string[] = topicsOf('public');

/** Every internal topic, each once: read by the project's own workers only, never by analytics. */
export const internalTopics: readonly string[] = topicsOf('internal');

/** What the project's own workers (the projections) read: the public topics and the internal ones. */
export const workerTopics: readonly string[] = [...publicTopics, ...internalTopics];

/** Validation errors of a payload against its current schema; empty when valid. */
export function payloadErrors(type: string, data: unknown): string[] {
  const definition = byType.get(type);
  if (!definition) return [`unknown event type ${type}`];
  let check = validators.get(type);
  if (!check) {
    check = TypeCompiler.Compile(definition.schema);
    validators.set(type, check);
  }
  // Check() is the compiled fast path; the error scan runs only for a payload that fails it.
  if (check.Check(data)) return [];
  return [...check.Errors(data)]
    .filter((e) => !withinLengthInCodePoints(e))
    .map((e) => `${e.path || '/'}: ${e.message}`);
}

/**
 * TypeBox measures string length in UTF-16 units; the HTTP edge (ajv) and API.md count characters
 * (code points). A 50-emoji name is 50 characters: valid at the edge, so valid here too.
 */
function withinLengthInCodePoints(error: { type: ValueErrorType; value: unknown; schema: unknown }): boolean {
  if (error.type !== ValueErrorType.StringMaxLength || typeof error.value !== 'string') return false;
  const { maxLength } = error.schema as { maxLength: number };
  return [...error.value].length <= maxLength;
}
