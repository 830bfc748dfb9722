/** What changed in an account's notifications. */
export type NotificationChange =
  /** a notification was created or updated (a new actor, a new time) */
  | { type: 'notification'; notificationId: string }
  /** a notification was taken back */
  | { type: 'removed'; notificationId: string }
  /** the unread count may differ: read markers moved, or what the account may see changed (mutes, blocks) */
  | { type: 'unread-count' };

/**
 * Where every change to an account's notifications is told, as it is applied. The live stream subscribes here:
 * it reads the notification (or the count) back through the queries, which apply what the account may see, and
 * sends it to the account's open streams. A redelivered event changes nothing and so tells nothing.
 */
export interface NotificationChanges {
  publish(accountId: string, change: NotificationChange): void;
}

export type NotificationListener = (change: NotificationChange) => void;

/** The in-process implementation: listeners per account, told synchronously; a listener must not throw. */
export class InProcessNotificationChanges implements NotificationChanges {
  private readonly listeners = new Map<string, Set<NotificationListener>>();

  publish(accountId: string, change: NotificationChange): void {
    for (const listener of this.listeners.get(accountId) ?? []) listener(change);
  }

  /** Listens to one account's changes until the returned function is called. */
  subscribe(accountId: string, listener: NotificationListener): () => void {
    const set = this.listeners.get(accountId) ?? new Set();
    set.add(listener);
    this.listeners.set(accountId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(accountId);
    };
  }
}
