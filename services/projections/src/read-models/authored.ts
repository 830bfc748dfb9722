import { type EventType, personalFields } from '@gram/events';
import { forgotten } from '@gram/personal-data';
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

/**
 * The personal fields of a document (a caption, a comment's text, a profile's name) as a deleted account's
 * documents keep them: emptied, so the read models hold no copy of what the account's deletion forgets
 * (`forgotten`, which is also what the log reads once the account's key is destroyed).
 */
export type Forgotten = Readonly<Record<string, typeof forgotten | readonly []>>;

/**
 * The fields a document copies from the personal fields of the event `type` that creates it (the catalogue's
 * `personal`, under the same names), forgotten: a field the catalogue makes personal is forgotten with it.
 */
export function forgottenFieldsOf(type: EventType): Forgotten {
  return Object.fromEntries((personalFields[type]?.fields ?? []).map((field) => [field, forgotten]));
}

/**
 * The creation of an authored document: live, with its sort key, flagged when its author is deleted already,
 * and then without its personal fields (`forget`).
 */
export async function applyCreated(
  context: ProjectionContext,
  collection: CollectionName,
  id: string,
  rev: number,
  fields: { authorId: string; createdAt: string } & Record<string, unknown>,
  forget: Forgotten,
): Promise<void> {
  const { documents } = context;
  const authorDeleted = await isDeletedAccount(documents, fields.authorId);
  await documents.applyRevision(collection, id, rev, {
    status: 'live',
    ...fields,
    ...(authorDeleted ? forget : {}),
    at: ms(fields.createdAt),
    authorDeleted,
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

/**
 * What an account's deletion does to the documents it wrote: they stop showing and counting, and lose their
 * personal fields (`forget`). Known limit: a document whose write races the deletion's (another worker, see
 * RedisIndexes) is flagged deleted by the counted write but keeps its text in MongoDB; what forgets it for
 * good is the encryption of the log's personal fields under the account's key.
 */
export async function hideAuthoredBy(
  context: ProjectionContext,
  collection: CollectionName,
  userId: string,
  forget: Forgotten,
): Promise<void> {
  await context.documents.updateMany(collection, { authorId: userId }, { authorDeleted: true, ...forget });
}

/** Verify's side of hideAuthoredBy: flags the log's documents of `collection` whose author is deleted. */
export function settleAuthorDeleted(log: LogDocuments, collection: CollectionName): void {
  for (const doc of log[collection].values()) {
    doc.authorDeleted = isDeletedUser(log.users.get(doc.authorId as string));
  }
}
