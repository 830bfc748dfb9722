import type { EventStore } from '@gram/event-store';
import type { AccountDirectory } from '@gram/service-kit';
import type { FastifyRequest } from 'fastify';
import { ContentVisibility } from './visibility.js';

/** What the routes of content use, handed to each aggregate's routes plugin as its options. */
export interface ContentContext {
  /** the event store, personal fields encrypted on the way in and decrypted on the way out */
  store: EventStore;
  accounts: AccountDirectory;
  visibility: ContentVisibility;
  /** the clock: commands carry their time, so deciders stay pure */
  now: () => string;
}

export function contentContext(
  store: EventStore,
  accounts: AccountDirectory,
  clock: () => Date,
): ContentContext {
  return {
    store,
    accounts,
    visibility: new ContentVisibility(store, accounts),
    now: () => clock().toISOString(),
  };
}

/** Metadata recorded with every event a request appends: who acted, and which request it was. */
export function commandContext(request: FastifyRequest, actorId: string) {
  return { actorId, correlationId: request.id };
}
