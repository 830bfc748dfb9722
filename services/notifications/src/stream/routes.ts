import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Timestamp } from '@gram/events';
import { bearerTokenOf, caller, HttpProblem, problems, unauthorized } from '@gram/service-kit';
import { Type } from '@sinclair/typebox';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { NotificationChange } from '../changes.js';
import type { NotificationQueries, NotificationView, Viewer } from '../read-model/queries.js';
import type { NotificationPosition } from '../store/port.js';
import type { ChangeFeed } from './feed.js';
import { everyAtPhase } from './keepalive.js';
import type { StreamTickets, TicketGrant } from './tickets.js';

export interface NotificationStreamOptions {
  /** where an account's changes are heard */
  feed: ChangeFeed;
  tickets: StreamTickets;
  /** how often a `: keepalive` comment goes out (API.md: 15 s) */
  keepaliveMs?: number;
  /** the bytes a connection may hold unsent before its client counts as not reading and is dropped */
  maxBufferedBytes?: number;
  /** how long a ticket may wait to be redeemed (API.md: 60 s) */
  ticketTtlMs?: number;
}

/** What a stream resumed with `Last-Event-ID` sends first, at most (API.md). */
const resumeLimit = 100;
/** Distinct notifications waiting to be sent on one connection before it counts as too slow. */
const maxPendingChanges = 1_000;
/**
 * How many unread notifications a stream follows one by one (see NotificationStream.unread); past it, the stream
 * of such an account counts them anew at every change, so a connection's memory stays bounded.
 */
const maxFollowedUnread = 1_000;

const bearer: { [label: string]: string[] }[] = [{ bearer: [] }];

/**
 * `POST /notifications/stream-tickets` and `GET /notifications/stream` of API.md.
 *
 * An event's id is its notification's place in the list, `<updatedAt>/<id>`, the list's own order: resuming
 * after an id sends the notifications the account sees that were updated after it, read from the store, so a
 * reconnecting client misses nothing that was stored when it reconnects, whichever instance it reaches, and a
 * notification updated again is sent again. (A notification stored late with an older `updatedAt` than one
 * already sent, from events applied out of order, is sent live but is not found again by a resume after that.)
 */
export const notificationStreamRoutes: FastifyPluginAsyncTypebox<
  NotificationStreamOptions & { queries: NotificationQueries }
> = async (app, options) => {
  const { queries, tickets } = options;
  const ticketTtlMs = options.ticketTtlMs ?? 60_000;

  app.post(
    '/api/v1/notifications/stream-tickets',
    {
      onRequest: app.requireAuth,
      schema: {
        tags: ['notifications'],
        summary: 'A single-use ticket to open the stream',
        description:
          "For browsers' `EventSource`, which sends no Authorization header: `GET /notifications/stream?ticket=`. Valid 60 s, once; the stream it opens ends when the access token it was issued with expires.",
        security: bearer,
        response: {
          201: Type.Object({ ticket: Type.String(), expiresAt: Timestamp() }),
          ...problems(401),
        },
      },
    },
    async (request, reply) => {
      const { userId, sessionId } = caller(request);
      const ticket = randomBytes(32).toString('base64url');
      await tickets.issue(ticket, { userId, sessionId, tokenExpiresAt: tokenExpiry(request) }, ticketTtlMs);
      const expiresAt = new Date(Date.now() + ticketTtlMs).toISOString();
      return reply.code(201).send({ ticket, expiresAt });
    },
  );

  app.get(
    '/api/v1/notifications/stream',
    {
      schema: {
        tags: ['notifications'],
        summary: "The caller's notifications as they happen (Server-Sent Events)",
        description:
          '`event: notification` (`id:` and the `Notification` as JSON `data:`), `event: unread-count` (`{ count }`), a `: keepalive` comment every 15 s. With `Last-Event-ID`, what was missed comes first (the last 100 at most). Ends when the access token expires or the account is deleted. Bearer token, or `?ticket=` from `POST /notifications/stream-tickets`.',
        security: [...bearer, {}],
        querystring: Type.Object({
          ticket: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        }),
        headers: Type.Object({
          'last-event-id': Type.Optional(
            Type.String({ maxLength: 200, description: 'the id of the last event received' }),
          ),
        }),
        produces: ['text/event-stream'],
        response: {
          200: Type.String({ description: 'text/event-stream' }),
          ...problems(400, 401),
        },
      },
    },
    async (request, reply) => {
      const ticket = request.query.ticket;
      if (!request.auth && ticket === undefined)
        throw unauthorized('this route needs an access token or a ticket');
      const lastEventId = request.headers['last-event-id'];
      const after = lastEventId === undefined || lastEventId === '' ? undefined : positionOf(lastEventId);
      let grant: TicketGrant;
      if (request.auth) {
        grant = { ...request.auth, tokenExpiresAt: tokenExpiry(request) };
      } else {
        const redeemed = await tickets.redeem(ticket as string);
        if (!redeemed || redeemed.tokenExpiresAt <= Date.now()) {
          throw unauthorized('the ticket is unknown, used or expired');
        }
        if (await queries.isDeletedAccount(redeemed.userId)) throw unauthorized('the account was deleted');
        grant = redeemed;
      }
      const stream = new NotificationStream(grant.userId, queries, reply, request.log, options);
      await stream.open(grant.tokenExpiresAt, after);
      return reply;
    },
  );
};

/**
 * One open stream. Changes are not queued one by one: what is waiting is the set of notifications changed since
 * the last send and whether the count may have changed, so a burst about one notification costs one send, and
 * what a connection holds is bounded by its account's notifications (and by `maxPendingChanges`).
 *
 * Slow and dead clients: what is written waits in this connection's buffers until the client reads it; past
 * `maxBufferedBytes` the client counts as not reading and its connection is destroyed: it frees its memory at
 * once and slows no one else, and a client that reconnects with its `Last-Event-ID` gets what it missed.
 */
class NotificationStream {
  /**
   * Server-Sent Events are framed here, a few lines: a library (@fastify/sse is pre-1.0, and its `send` waits for a
   * slow client to drain) would stand between this connection and the byte count it must be dropped at.
   */
  private readonly out = new PassThrough();
  private readonly pending = new Set<string>();
  private countPending = false;
  private draining = false;
  private closed = false;
  private lastCount: number | undefined;
  /**
   * The unread notifications the account sees, as last counted: a change of one notification moves it in or
   * out of this set from that notification as the account now sees it, so a like costs the stream one
   * notification's read, not a count of every unread one. Counted whole again when the projector says the
   * count may have moved for other reasons (`unread-count`: a marker moved, a relation, an author's privacy, a
   * follow), and at the start. Undefined while not followed (before the first count, or past
   * maxFollowedUnread): then every change counts them anew.
   */
  private unread: Set<string> | undefined;
  /** the account's relations and marker as the last count read them (see NotificationQueries.forStream) */
  private viewer: Viewer | undefined;
  private readonly cleanups: (() => void)[] = [];
  private readonly maxBufferedBytes: number;

  constructor(
    private readonly accountId: string,
    private readonly queries: NotificationQueries,
    private readonly reply: FastifyReply,
    private readonly log: FastifyBaseLogger,
    private readonly options: NotificationStreamOptions,
  ) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? 256 * 1024;
  }

  async open(tokenExpiresAt: number, after: NotificationPosition | undefined): Promise<void> {
    this.reply
      .type('text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache, no-transform')
      // proxies such as nginx buffer responses unless told not to
      .header('x-accel-buffering', 'no')
      .send(this.out);
    this.reply.raw.on('close', () => this.close());
    // The headers go out with the first bytes: a client knows at once that the stream is open.
    this.write(': open\n\n');

    const stopKeepalives = everyAtPhase(this.options.keepaliveMs ?? 15_000, Math.random(), () => {
      this.write(': keepalive\n\n');
      // the deletion of an account that had no notifications tells its stream nothing
      this.queries.isDeletedAccount(this.accountId).then(
        (deleted) => deleted && this.end(),
        (error) => this.fail(error),
      );
    });
    const expiry = setTimeout(() => this.end(), Math.min(tokenExpiresAt - Date.now(), 2 ** 31 - 1));
    this.cleanups.push(() => {
      stopKeepalives();
      clearTimeout(expiry);
    });

    // Listening starts before the store is read: a change meanwhile is sent after what was missed.
    this.draining = true;
    try {
      const unsubscribe = await this.options.feed.subscribe(this.accountId, (change) => this.changed(change));
      if (this.closed) unsubscribe();
      else this.cleanups.push(unsubscribe);
      if (after) {
        const missed = await this.queries.updatedSince(this.accountId, after, resumeLimit);
        if (missed.length > 0) this.write(missed.map(eventOf).join(''));
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.draining = false;
    }
    this.countPending = true;
    void this.drain();
  }

  private changed(change: NotificationChange): void {
    if (this.closed) return;
    if (change.type === 'unread-count') {
      this.countPending = true;
    } else {
      // A removed notification is read back too: gone, it leaves the unread ones and sends nothing.
      this.pending.add(change.notificationId);
      if (this.pending.size > maxPendingChanges) {
        this.drop('its changes pile up');
        return;
      }
    }
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.draining || this.closed) return;
    this.draining = true;
    try {
      while (!this.closed && (this.pending.size > 0 || this.countPending)) {
        const ids = [...this.pending];
        this.pending.clear();
        const recount = this.countPending || this.unread === undefined;
        this.countPending = false;
        // Whether the account is still there is asked beside the reads, not before them: one round trip's wait
        // less for each change, and nothing read for a deleted account is sent.
        const [deleted, { views, unread, viewer }] = await Promise.all([
          this.queries.isDeletedAccount(this.accountId),
          this.queries.forStream(this.accountId, ids, recount, this.viewer),
        ]);
        if (deleted) {
          this.end();
          return;
        }
        this.viewer = viewer;
        let count = unread?.length;
        if (unread) this.unread = unread.length <= maxFollowedUnread ? new Set(unread) : undefined;
        if (this.unread) {
          const seen = new Map(views.map((view) => [view.id, view]));
          for (const id of ids) {
            if (seen.get(id)?.read === false) this.unread.add(id);
            else this.unread.delete(id);
          }
          count = this.unread.size;
          if (this.unread.size > maxFollowedUnread) this.unread = undefined;
        }
        // What one change makes goes out in one write: each write is a system call, which at 500 likes/s took
        // more of the process's time than making the events written.
        let text = views.sort(inListOrder).map(eventOf).join('');
        if (count !== undefined && count !== this.lastCount) {
          this.lastCount = count;
          text += `event: unread-count\ndata: ${JSON.stringify({ count })}\n\n`;
        }
        if (text !== '') this.write(text);
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.draining = false;
    }
  }

  private write(text: string): void {
    if (this.closed) return;
    this.out.write(text);
    const buffered = this.out.writableLength + this.out.readableLength + this.reply.raw.writableLength;
    if (buffered > this.maxBufferedBytes) this.drop('it does not read');
  }

  /** The stream is over (token expired, account deleted): the client is told by the end of the response. */
  private end(): void {
    if (this.closed) return;
    this.out.end();
    this.close();
  }

  private drop(reason: string): void {
    this.log.info({ accountId: this.accountId, reason }, 'notification stream client dropped');
    this.reply.raw.destroy();
    this.close();
  }

  private fail(error: unknown): void {
    this.log.error({ err: error }, 'notification stream failed');
    this.reply.raw.destroy();
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }
}

function eventIdOf(view: NotificationView): string {
  return `${view.updatedAt}/${view.id}`;
}

function inListOrder(a: NotificationView, b: NotificationView): number {
  if (a.updatedAt !== b.updatedAt) return a.updatedAt < b.updatedAt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The position a `Last-Event-ID` names; 400 for one this stream never sent. */
function positionOf(lastEventId: string): NotificationPosition {
  const match = /^(\d{4}-\d\d-\d\dT[\d:.]+Z)\/([0-9a-f-]{36})$/i.exec(lastEventId);
  if (!match) {
    throw new HttpProblem(400, 'the Last-Event-ID is not an id of this stream', {
      errors: [{ field: 'last-event-id', message: 'is not an event id this stream sent' }],
    });
  }
  return { updatedAt: match[1] as string, id: (match[2] as string).toLowerCase() };
}

/** When the access token of a request, verified by the authentication hook, expires (ms since the epoch). */
function tokenExpiry(request: FastifyRequest): number {
  const token = bearerTokenOf(request.headers.authorization) ?? '';
  const payload: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
  const exp = typeof payload === 'object' && payload !== null && 'exp' in payload ? payload.exp : undefined;
  // A token without `exp` (none is issued so) is held to the longest a timer waits.
  return typeof exp === 'number' ? exp * 1000 : Number.MAX_SAFE_INTEGER;
}

/** The `notification` event of `view`. */
function eventOf(view: NotificationView): string {
  return `id: ${eventIdOf(view)}\nevent: notification\ndata: ${JSON.stringify(view)}\n\n`;
}
