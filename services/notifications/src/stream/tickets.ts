import type { Redis } from 'ioredis';

/** What a stream ticket stands for: the account, and when the access token it was issued for expires (ms). */
export interface TicketGrant {
  userId: string;
  sessionId: string;
  tokenExpiresAt: number;
}

/**
 * Single-use stream tickets (API.md: `POST /notifications/stream-tickets`), kept where every instance of the service
 * can redeem them. `redeem` answers a ticket's grant once, and never after its time is up.
 */
export interface StreamTickets {
  issue(ticket: string, grant: TicketGrant, ttlMs: number): Promise<void>;
  redeem(ticket: string): Promise<TicketGrant | undefined>;
}

/**
 * The embedded mode's tickets, in this process. Every ticket lives as long, so the map's insertion order is the
 * order of expiry: issuing drops the expired ones from the front, and memory holds only live tickets.
 */
export function memoryStreamTickets(clock: () => number = Date.now): StreamTickets {
  const tickets = new Map<string, { grant: TicketGrant; expiresAt: number }>();
  return {
    async issue(ticket, grant, ttlMs) {
      const now = clock();
      for (const [key, entry] of tickets) {
        if (entry.expiresAt > now) break;
        tickets.delete(key);
      }
      tickets.set(ticket, { grant, expiresAt: now + ttlMs });
    },
    async redeem(ticket) {
      const entry = tickets.get(ticket);
      tickets.delete(ticket);
      return entry && entry.expiresAt > clock() ? entry.grant : undefined;
    },
  };
}

/**
 * The distributed mode's tickets, in Redis, shared by every instance: SET NX with the ticket's lifetime (Redis
 * forgets it then), GETDEL to redeem it, atomically, so one redemption wins.
 */
export function redisStreamTickets(redis: Redis, prefix = 'notifications:stream-ticket:'): StreamTickets {
  return {
    async issue(ticket, grant, ttlMs) {
      const set = await redis.set(prefix + ticket, JSON.stringify(grant), 'PX', ttlMs, 'NX');
      if (set !== 'OK') throw new Error('a stream ticket was issued twice');
    },
    async redeem(ticket) {
      const stored = await redis.getdel(prefix + ticket);
      return stored === null ? undefined : (JSON.parse(stored) as TicketGrant);
    },
  };
}
