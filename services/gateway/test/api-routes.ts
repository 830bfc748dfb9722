import type { ServiceName } from '../src/routing/service-routes.js';

/** One row of API.md: the route as fastify and the services write it, and the service that owns it. */
export interface ApiRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  service: ServiceName;
}

/** Every route of ../shared/API.md, written out here so that a route missing from the gateway fails a test. */
export const apiRoutes: readonly ApiRoute[] = [
  // Identity
  { method: 'POST', url: '/api/v1/auth/signup', service: 'identity' },
  { method: 'POST', url: '/api/v1/auth/login', service: 'identity' },
  { method: 'POST', url: '/api/v1/auth/refresh', service: 'identity' },
  { method: 'POST', url: '/api/v1/auth/logout', service: 'identity' },
  { method: 'GET', url: '/api/v1/users/me', service: 'projections' },
  { method: 'PATCH', url: '/api/v1/users/me', service: 'identity' },
  { method: 'DELETE', url: '/api/v1/users/me', service: 'identity' },
  // Your data: export
  { method: 'POST', url: '/api/v1/users/me/exports', service: 'identity' },
  { method: 'GET', url: '/api/v1/users/me/exports/:exportId', service: 'identity' },
  // Profiles and the social graph
  { method: 'GET', url: '/api/v1/users/:userId', service: 'projections' },
  { method: 'GET', url: '/api/v1/users/by-username/:userName', service: 'projections' },
  { method: 'GET', url: '/api/v1/users/:userId/followers', service: 'projections' },
  { method: 'GET', url: '/api/v1/users/:userId/following', service: 'projections' },
  { method: 'PUT', url: '/api/v1/users/:userId/follow', service: 'social-graph' },
  { method: 'DELETE', url: '/api/v1/users/:userId/follow', service: 'social-graph' },
  { method: 'PUT', url: '/api/v1/users/:userId/mute', service: 'social-graph' },
  { method: 'DELETE', url: '/api/v1/users/:userId/mute', service: 'social-graph' },
  { method: 'PUT', url: '/api/v1/users/:userId/block', service: 'social-graph' },
  { method: 'DELETE', url: '/api/v1/users/:userId/block', service: 'social-graph' },
  { method: 'GET', url: '/api/v1/users/me/mutes', service: 'projections' },
  { method: 'GET', url: '/api/v1/users/me/blocks', service: 'projections' },
  { method: 'GET', url: '/api/v1/users/me/follow-requests', service: 'projections' },
  { method: 'PUT', url: '/api/v1/users/me/follow-requests/:userId', service: 'social-graph' },
  { method: 'DELETE', url: '/api/v1/users/me/follow-requests/:userId', service: 'social-graph' },
  { method: 'DELETE', url: '/api/v1/users/me/followers/:userId', service: 'social-graph' },
  { method: 'GET', url: '/api/v1/users/:userId/posts', service: 'projections' },
  // Posts, likes, comments, replies
  { method: 'POST', url: '/api/v1/posts', service: 'content' },
  { method: 'GET', url: '/api/v1/posts/:postId', service: 'projections' },
  { method: 'PATCH', url: '/api/v1/posts/:postId', service: 'content' },
  { method: 'DELETE', url: '/api/v1/posts/:postId', service: 'content' },
  { method: 'PUT', url: '/api/v1/posts/:postId/like', service: 'content' },
  { method: 'DELETE', url: '/api/v1/posts/:postId/like', service: 'content' },
  { method: 'GET', url: '/api/v1/posts/:postId/likes', service: 'projections' },
  { method: 'POST', url: '/api/v1/posts/:postId/comments', service: 'content' },
  { method: 'GET', url: '/api/v1/posts/:postId/comments', service: 'projections' },
  { method: 'DELETE', url: '/api/v1/comments/:commentId', service: 'content' },
  { method: 'POST', url: '/api/v1/comments/:commentId/replies', service: 'content' },
  { method: 'GET', url: '/api/v1/comments/:commentId/replies', service: 'projections' },
  { method: 'DELETE', url: '/api/v1/replies/:replyId', service: 'content' },
  // Media
  { method: 'POST', url: '/api/v1/media', service: 'media' },
  { method: 'GET', url: '/api/v1/media/:mediaId', service: 'media' },
  // Feed
  { method: 'GET', url: '/api/v1/feed', service: 'projections' },
  // Finding people and posts
  { method: 'GET', url: '/api/v1/tags/:tag', service: 'projections' },
  { method: 'GET', url: '/api/v1/tags/:tag/posts', service: 'projections' },
  { method: 'GET', url: '/api/v1/explore', service: 'projections' },
  // Search
  { method: 'GET', url: '/api/v1/search/users', service: 'projections' },
  { method: 'GET', url: '/api/v1/search/tags', service: 'projections' },
  // Notifications
  { method: 'GET', url: '/api/v1/notifications', service: 'notifications' },
  { method: 'GET', url: '/api/v1/notifications/unread-count', service: 'notifications' },
  { method: 'POST', url: '/api/v1/notifications/read', service: 'notifications' },
  { method: 'POST', url: '/api/v1/notifications/stream-tickets', service: 'notifications' },
  { method: 'GET', url: '/api/v1/notifications/stream', service: 'notifications' },
];

/** `/api/v1/posts/:postId` → `/api/v1/posts/{postId}`, as OpenAPI writes a path. */
export const openApiPath = (url: string) => url.replace(/:([A-Za-z]+)/g, '{$1}');

/** A concrete path of a route, with a well-formed id (or userName) in each parameter. */
export const concretePath = (url: string, id: string) =>
  url.replace(':userName', 'some_user').replace(/:[A-Za-z]+/g, id);
