import type { Redis } from 'ioredis';
import type { NotificationChange, NotificationChanges, NotificationListener } from '../changes.js';
import type { ChangeFeed } from './feed.js';

/**
 * The changes of the distributed mode, carried between the instances of the service by Redis Pub/Sub: the
 * instance whose consumer applied an event (or that served `POST /notifications/read`) publishes, and every
 * instance holding a stream of that account hears it, itself included (its own listeners hear only Redis, one
 * path for all).
 *
 * One channel per account, subscribed while this instance holds a stream of the account: Redis sends an instance
 * only the changes of the accounts connected to it, where one shared channel would send every instance every
 * change of every account to be filtered here. Pub/Sub keeps nothing: a message lost while an instance was
 * disconnected from Redis is recovered by the client's `Last-Event-ID` resume, from the store.
 */
export class RedisNotificationChanges implements NotificationChanges, ChangeFeed {
  private readonly listeners = new Map<string, Set<NotificationListener>>();
  /** the SUBSCRIBE of each account listened to: every listener waits for it */
  private readonly subscribed = new Map<string, Promise<unknown>>();

  /**
   * `subscriber` is given over to this class: a connection in subscriber mode serves nothing else. Open it with
   * `enableReadyCheck: false`: ioredis's ready check (INFO) would otherwise meet a SUBSCRIBE queued before it.
   */
  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly prefix = 'notifications:changes:',
  ) {
    subscriber.on('message', (channel: string, message: string) => {
      if (!channel.startsWith(prefix)) return;
      const accountId = channel.slice(prefix.length);
      const change = JSON.parse(message) as NotificationChange;
      for (const listener of this.listeners.get(accountId) ?? []) listener(change);
    });
  }

  publish(accountId: string, change: NotificationChange): void {
    // A change that does not reach Redis is recovered as any lost message is: by resuming from the store.
    this.publisher.publish(this.prefix + accountId, JSON.stringify(change)).catch(() => {});
  }

  async subscribe(accountId: string, listener: NotificationListener): Promise<() => void> {
    const channel = this.prefix + accountId;
    let set = this.listeners.get(accountId);
    if (!set) {
      set = new Set();
      this.listeners.set(accountId, set);
    }
    set.add(listener);
    // Commands go out in order on the one connection: an unsubscribe in flight is followed by this subscribe.
    if (set.size === 1) this.subscribed.set(accountId, this.subscriber.subscribe(channel));
    await this.subscribed.get(accountId);
    const listeners = set;
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.listeners.get(accountId) === listeners) {
        this.listeners.delete(accountId);
        this.subscribed.delete(accountId);
        this.subscriber.unsubscribe(channel).catch(() => {});
      }
    };
  }

  /** Closes the subscriber connection (the publisher is the caller's). */
  async close(): Promise<void> {
    await this.subscriber.quit();
  }
}
