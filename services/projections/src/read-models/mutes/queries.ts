import type { Page, UserSummary } from '@gram/service-kit';
import type { PageRequest } from '../../queries/paging.js';
import type { DocumentStore } from '../../store/document-store.js';
import { accountPage } from '../profiles/queries.js';
import { mutesBy } from './documents.js';

/**
 * The accounts `userId` mutes, most recently muted first: only ever answered to `userId` itself. Its own settings,
 * so an account it also blocks is listed still (hiding it would leave a mute that cannot be seen).
 */
export function mutes(
  documents: DocumentStore,
  userId: string,
  request: PageRequest,
): Promise<Page<UserSummary>> {
  return accountPage(documents, 'mutes', mutesBy(userId), 'mutedId', request, undefined);
}
