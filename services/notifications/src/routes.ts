import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Id, Timestamp } from '@gram/events';
import { caller, HttpProblem, problems, UserSummary } from '@gram/service-kit';
import { Type } from '@sinclair/typebox';
import { type NotificationQueries, UnknownNotification } from './read-model/queries.js';
import { type NotificationStreamOptions, notificationStreamRoutes } from './stream/routes.js';

const Notification = Type.Object(
  {
    id: Id(),
    type: Type.Union(
      ['like', 'comment', 'reply', 'mention', 'follow', 'follow_request', 'follow_accepted'].map((type) =>
        Type.Literal(type),
      ),
    ),
    actors: Type.Array(UserSummary, { maxItems: 3, description: 'the newest three actors at most' }),
    actorCount: Type.Integer({ minimum: 1, description: 'every actor' }),
    post: Type.Optional(Type.Object({ id: Id(), photo: Type.String() })),
    comment: Type.Optional(
      Type.Object({ id: Id(), text: Type.String() }, { description: 'the comment or reply it is about' }),
    ),
    createdAt: Timestamp(),
    updatedAt: Timestamp(),
    read: Type.Boolean(),
  },
  { description: 'one notification of the caller (API.md "Notifications")' },
);

const NotificationPage = Type.Object({
  items: Type.Array(Notification),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

const ListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(
      Type.String({ minLength: 1, maxLength: 512, description: 'opaque, from nextCursor' }),
    ),
  },
  { additionalProperties: false },
);

const ReadBody = Type.Object(
  {
    upTo: Type.Optional(Id("one of the caller's notifications: it and every one updated before it are read")),
  },
  { additionalProperties: false },
);

const bearer: { [label: string]: string[] }[] = [{ bearer: [] }];

export interface NotificationsRoutesOptions {
  queries: NotificationQueries;
  stream: NotificationStreamOptions;
}

/** Every route of API.md "Notifications" (the live stream's in stream/routes.ts). */
export const notificationsRoutes: FastifyPluginAsyncTypebox<NotificationsRoutesOptions> = async (
  app,
  { queries, stream },
) => {
  await app.register(notificationStreamRoutes, { ...stream, queries });

  app.get(
    '/api/v1/notifications',
    {
      onRequest: app.requireAuth,
      schema: {
        tags: ['notifications'],
        summary: "The caller's notifications",
        description: 'Most recently updated first.',
        security: bearer,
        querystring: ListQuery,
        response: { 200: NotificationPage, ...problems(400, 401) },
      },
    },
    async (request) => queries.page(caller(request).userId, request.query),
  );

  app.get(
    '/api/v1/notifications/unread-count',
    {
      onRequest: app.requireAuth,
      schema: {
        tags: ['notifications'],
        summary: "How many of the caller's notifications are unread",
        security: bearer,
        response: { 200: Type.Object({ count: Type.Integer({ minimum: 0 }) }), ...problems(401) },
      },
    },
    async (request) => ({ count: await queries.unreadCount(caller(request).userId) }),
  );

  app.post(
    '/api/v1/notifications/read',
    {
      onRequest: app.requireAuth,
      // No body at all reads as `{}`: every notification.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags: ['notifications'],
        summary: 'Mark notifications read',
        description:
          "Every notification updated at or before `upTo` is read; every one when `upTo` is absent. 400 for an id that is not one of the caller's notifications.",
        security: bearer,
        body: ReadBody,
        response: { 204: Type.Null({ description: 'Marked read' }), ...problems(400, 401) },
      },
    },
    async (request, reply) => {
      try {
        await queries.markRead(caller(request).userId, request.body.upTo);
      } catch (error) {
        if (error instanceof UnknownNotification) {
          throw new HttpProblem(400, error.message, {
            errors: [{ field: 'upTo', message: 'is not one of your notifications' }],
          });
        }
        throw error;
      }
      return reply.code(204).send(null);
    },
  );
};
