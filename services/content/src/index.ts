export { buildContentApp, type ContentAppDeps, type ContentRoutesOptions, contentRoutes } from './app.js';
export * from './comments/comment.js';
export * from './likes/like.js';
export * from './posts/post.js';
export * from './reactions.js';
export * from './replies/reply.js';
export { httpMentionDirectory, type MentionDirectory, type NamedAccount } from './texts/mention-directory.js';
