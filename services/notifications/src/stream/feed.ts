import type { NotificationListener } from '../changes.js';

/** Where the live stream hears an account's changes: in this process (embedded) or from every instance (Redis). */
export interface ChangeFeed {
  /** listens to one account's changes until the returned function is called; resolves once listening */
  subscribe(accountId: string, listener: NotificationListener): (() => void) | Promise<() => void>;
}
