import type { NotificationDoc } from './documents.js';
import type { NotificationPosition } from './port.js';

/** The order of an account's notifications, as listed: most recently updated first, then by id, descending. */
export function newestFirst(a: NotificationDoc, b: NotificationDoc): number {
  if (a.updatedAt !== b.updatedAt) return a.updatedAt < b.updatedAt ? 1 : -1;
  return a._id < b._id ? 1 : a._id > b._id ? -1 : 0;
}

/** After `position` in the order of newestFirst. */
export function isAfter(doc: NotificationDoc, position: NotificationPosition): boolean {
  return (
    doc.updatedAt < position.updatedAt || (doc.updatedAt === position.updatedAt && doc._id < position.id)
  );
}
