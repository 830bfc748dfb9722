import type { Page, UserSummary } from '@gram/service-kit';
import type { PageRequest } from '../../queries/paging.js';
import type { DocumentStore } from '../../store/document-store.js';
import { accountPage } from '../profiles/queries.js';
import { blocksBy } from './documents.js';

/**
 * The accounts `userId` blocks, most recently blocked first: only ever answered to `userId` itself. Its own settings:
 * the one list of accounts in a block with its reader, which every other list hides.
 */
export function blocks(
  documents: DocumentStore,
  userId: string,
  request: PageRequest,
): Promise<Page<UserSummary>> {
  return accountPage(documents, 'blocks', blocksBy(userId), 'blockedId', request, undefined);
}
