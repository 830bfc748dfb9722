import type { NotificationDoc } from './documents.js';
import type { NotificationPosition } from './port.js';

/**
 * After `position` in the order an account's notifications are listed: most recently updated first, then by id,
 * descending.
 */
export function isAfter(doc: NotificationDoc, position: NotificationPosition): boolean {
  return (
    doc.updatedAt < position.updatedAt || (doc.updatedAt === position.updatedAt && doc._id < position.id)
  );
}
