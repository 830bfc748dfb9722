import type { Static, TObject } from '@sinclair/typebox';

/**
 * Public events leave their service: the relay publishes them on their topic, read models and
 * analytics consume them. Internal events leave their service for the project's own workers only
 * (who muted whom: the projections need it for feeds, and nobody else may ever read it): the relay
 * publishes them on an `internal.` topic, which the AsyncAPI document marks as not for consumers.
 * Private events (credentials, sessions, contact data) never leave the service that owns them: they
 * have no topic, and the relay refuses them.
 */
export type Visibility = 'public' | 'internal' | 'private';

/** Internal topics start with it, public ones never do: an analytics consumer can tell them apart by name. */
export const internalTopicPrefix = 'internal.';

/** An aggregate kind: its stream category, the service that owns it and, when public, its Kafka topic. */
export interface AggregateDefinition {
  readonly category: string;
  readonly service: 'identity' | 'content' | 'social-graph' | 'media';
  readonly description: string;
  /**
   * Kafka topic of the aggregate's public (or, for an `internal.` topic, internal) events; messages are keyed by
   * stream id. Several aggregates may share an internal topic (the relations between two accounts).
   */
  readonly topic: string | null;
}

/**
 * The personal fields of an event (contact data, password hash, ...): stored encrypted under the data key of
 * the account `owner` names (packages/personal-data), so that the account's deletion makes them unreadable in
 * the log and every copy of it. String fields of the payload, by name.
 */
export interface PersonalFields {
  readonly owner: string;
  readonly fields: readonly string[];
}

export interface EventDefinition<TType extends string = string, TSchema extends TObject = TObject> {
  readonly type: TType;
  /** The current schema version. Older versions are read through upcasters. */
  readonly version: number;
  readonly schema: TSchema;
  readonly aggregate: AggregateDefinition;
  readonly visibility: Visibility;
  readonly description: string;
  /** the fields stored encrypted, and whose they are; none when absent */
  readonly personal?: PersonalFields;
  /**
   * The fields that are credentials (a password hash, a refresh-token hash): never shown to anyone, not even to
   * the account itself in its export. Personal data is the account's to see; a secret is not, since it only
   * serves to check what the account presents. None when absent.
   */
  readonly secret?: readonly string[];
}

export function defineEvent<const TType extends string, TSchema extends TObject>(
  definition: EventDefinition<TType, TSchema>,
): EventDefinition<TType, TSchema> {
  const { topic } = definition.aggregate;
  if (definition.visibility === 'public' && (topic === null || topic.startsWith(internalTopicPrefix))) {
    throw new Error(
      `${definition.type} is public but its aggregate ${definition.aggregate.category} has no public topic`,
    );
  }
  // An internal event on a public topic would hand who muted whom to every analytics consumer.
  if (definition.visibility === 'internal' && !topic?.startsWith(internalTopicPrefix)) {
    throw new Error(
      `${definition.type} is internal but its aggregate ${definition.aggregate.category} has no internal topic`,
    );
  }
  return definition;
}

export type PayloadOf<D> = D extends EventDefinition<string, infer S> ? Static<S> : never;

/** A typed domain event: what deciders return and evolve folds. */
export type DomainEventOf<D> =
  D extends EventDefinition<infer T, infer S> ? { type: T; data: Static<S> } : never;
