import type { CollectionName, Doc } from '../store/document-store.js';
import { ms } from '../store/keys.js';
import { isDeletedAccount, isDeletedUser } from './profiles/documents.js';
import type { LogDocuments, ProjectionContext } from './read-model.js';

/**
 * A document an account wrote (a post, a comment, a reply): live from its creation event until its own
 * deletion, and hidden everywhere once its author's account is deleted.
 */
export interface AuthoredDocument extends Doc {
  status: 'live' | 'deleted';
  authorId: string;
  createdAt: string;
  /** createdAt in ms: the sort key of its pages (and of a post's feed entries) */
  at: number;
  /** the author's account is deleted: it counts nowhere and shows nowhere */
  authorDeleted: boolean;
}

/** What the API shows and counts of authored documents: live, by an account that is not deleted. */
export function isVisible(doc: Readonly<Doc>): boolean {
  return doc.status === 'live' && doc.authorDeleted === false;
}

/** isVisible as the fields of a filter, spread after the field that says whose documents are wanted. */
export const visible = { status: 'live', authorDeleted: false } as const;

/** The creation of an authored document: live, with its sort key, flagged when its author is deleted already. */
export async function applyCreated(
  context: ProjectionContext,
  collection: CollectionName,
  id: string,
  rev: number,
  fields: { authorId: string; createdAt: string } & Record<string, unknown>,
): Promise<void> {
  const { documents } = context;
  await documents.applyRevision(collection, id, rev, {
    status: 'live',
    ...fields,
    at: ms(fields.createdAt),
    authorDeleted: await isDeletedAccount(documents, fields.authorId),
  } satisfies Partial<AuthoredDocument>);
}

export async function applyDeleted(
  context: ProjectionContext,
  collection: CollectionName,
  id: string,
  rev: number,
): Promise<void> {
  await context.documents.applyRevision(collection, id, rev, {
    status: 'deleted',
  } satisfies Partial<AuthoredDocument>);
}

/** What an account's deletion does to the documents it wrote: they stop showing and counting. */
export async function hideAuthoredBy(
  context: ProjectionContext,
  collection: CollectionName,
  userId: string,
): Promise<void> {
  await context.documents.updateMany(collection, { authorId: userId }, { authorDeleted: true });
}

/** Verify's side of hideAuthoredBy: flags the log's documents of `collection` whose author is deleted. */
export function settleAuthorDeleted(log: LogDocuments, collection: CollectionName): void {
  for (const doc of log[collection].values()) {
    doc.authorDeleted = isDeletedUser(log.users.get(doc.authorId as string));
  }
}
