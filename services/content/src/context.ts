import type { EventStore } from '@gram/event-store';
import type { AccountDirectory } from '@gram/service-kit';
import type { FastifyRequest } from 'fastify';
import type { MentionDirectory } from './texts/mention-directory.js';
import { ContentVisibility } from './visibility.js';

/** What the routes of content use, handed to each aggregate's routes plugin as its options. */
export interface ContentContext {
  /** the event store, personal fields encrypted on the way in and decrypted on the way out */
  store: EventStore;
  accounts: AccountDirectory;
  visibility: ContentVisibility;
  /** which userNames a text's mentions name as live accounts (identity's) */
  mentions: MentionDirectory;
  /** the clock: commands carry their time, so deciders stay pure */
  now: () => string;
}

export function contentContext(
  store: EventStore,
  accounts: AccountDirectory,
  mentions: MentionDirectory,
  clock: () => Date,
): ContentContext {
  return {
    store,
    accounts,
    visibility: new ContentVisibility(store, accounts),
    mentions,
    now: () => clock().toISOString(),
  };
}

/** Metadata recorded with every event a request appends: who acted, and which request it was. */
export function commandContext(request: FastifyRequest, actorId: string) {
  return { actorId, correlationId: request.id };
}
