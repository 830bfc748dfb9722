import { Id, Timestamp } from '@gram/events';
import { type Static, type TSchema, type TUnsafe, Type } from '@sinclair/typebox';

/**
 * The resources of API.md, the one definition of each: every service answers them, and the OpenAPI
 * document has one component for each. They live here, beside `ProblemDetails`, because the app every
 * service is built on (`createServiceApp`) must add them to every fastify instance that serves or documents
 * a route: the services, the embedded app and the distributed gateway, whose routes come from a JSON table
 * holding only the references.
 *
 * Each export is a reference (`{ $ref: '<$id>' }`) typed as the schema it names, so a route writes
 * `response: { 200: Post }` and its handler is typed by it; `resourceSchemas` are the definitions themselves.
 */

/** A reference to a shared schema by its `$id`, typed as that schema. */
function ref<T extends TSchema>(schema: T): TUnsafe<Static<T>> {
  if (schema.$id === undefined) throw new Error('a shared schema needs an $id to be referred to');
  return Type.Unsafe<Static<T>>(Type.Ref(schema.$id));
}

const Count = Type.Integer({ minimum: 0 });
const presentWhenAuthenticated = { description: 'present when the request is authenticated' };

const UserSummarySchema = Type.Object(
  {
    id: Id(),
    userName: Type.String(),
    name: Type.String(),
    profilePic: Type.String(),
    followedByMe: Type.Optional(
      Type.Boolean({ description: 'in user search results, when the request is authenticated' }),
    ),
  },
  { $id: 'UserSummary', description: 'an account as lists and authors show it' },
);
export const UserSummary = ref(UserSummarySchema);
export type UserSummary = Static<typeof UserSummary>;

/** The accounts a text mentions, as the reader may see them: a deleted one, or one in a block with the reader, is left out. */
const Mentions = Type.Array(UserSummary, {
  description:
    'the live accounts the text mentions, in order of first appearance; none that is deleted or in a block with the reader',
});

const ProfileSchema = Type.Object(
  {
    id: Id(),
    userName: Type.String(),
    name: Type.String(),
    bio: Type.String(),
    profilePic: Type.String(),
    followersCount: Count,
    followingCount: Count,
    postCount: Count,
    createdAt: Timestamp(),
    isPrivate: Type.Boolean({
      description: 'only the account and its approved followers see its posts, lists and what is under them',
    }),
    followedByMe: Type.Optional(Type.Boolean(presentWhenAuthenticated)),
    requestedByMe: Type.Optional(
      Type.Boolean({ description: 'my follow request to it is pending; present when authenticated' }),
    ),
    followsMe: Type.Optional(Type.Boolean({ description: 'it follows me; present when authenticated' })),
    mutedByMe: Type.Optional(
      Type.Boolean({
        description:
          'whether I mute the account (my own mutes only); present when the request is authenticated',
      }),
    ),
    blockedByMe: Type.Optional(
      Type.Boolean({
        description:
          'whether I block the account (my own blocks only); present when the request is authenticated',
      }),
    ),
  },
  { $id: 'Profile', description: 'an account with its counts' },
);
export const Profile = ref(ProfileSchema);
export type Profile = Static<typeof Profile>;

const PostSchema = Type.Object(
  {
    id: Id(),
    author: UserSummary,
    photo: Type.String(),
    caption: Type.String(),
    hashtags: Type.Array(Type.String(), {
      description:
        "the caption's hashtags without `#`, normalized (NFC, lower case), in order of first appearance",
    }),
    mentions: Mentions,
    likesCount: Count,
    commentsCount: Count,
    createdAt: Timestamp(),
    updatedAt: Timestamp(),
    likedByMe: Type.Optional(Type.Boolean(presentWhenAuthenticated)),
  },
  { $id: 'Post', description: 'a photo post' },
);
export const Post = ref(PostSchema);
export type Post = Static<typeof Post>;

const CommentSchema = Type.Object(
  {
    id: Id(),
    postId: Id(),
    author: UserSummary,
    text: Type.String(),
    mentions: Mentions,
    replyCount: Count,
    createdAt: Timestamp(),
  },
  { $id: 'Comment', description: 'a comment on a post' },
);
export const Comment = ref(CommentSchema);
export type Comment = Static<typeof Comment>;

const ReplySchema = Type.Object(
  {
    id: Id(),
    commentId: Id(),
    postId: Id(),
    author: UserSummary,
    text: Type.String(),
    mentions: Mentions,
    createdAt: Timestamp(),
  },
  { $id: 'Reply', description: 'a reply to a comment' },
);
export const Reply = ref(ReplySchema);
export type Reply = Static<typeof Reply>;

const TagSchema = Type.Object(
  {
    name: Type.String({ description: 'the hashtag without `#`, normalized (NFC, lower case)' }),
    postCount: Type.Integer({
      minimum: 0,
      description: 'live posts of public accounts carrying the tag',
    }),
  },
  { $id: 'Tag', description: 'a hashtag and how many posts carry it' },
);
export const Tag = ref(TagSchema);
export type Tag = Static<typeof Tag>;

const FollowRequestSchema = Type.Object(
  { user: UserSummary, requestedAt: Timestamp() },
  { $id: 'FollowRequest', description: 'a pending request to follow the caller' },
);
export const FollowRequest = ref(FollowRequestSchema);
export type FollowRequest = Static<typeof FollowRequest>;

const ImageUrl = (description: string) => Type.String({ format: 'uri', pattern: '^https?://', description });

const MediaSchema = Type.Object(
  {
    id: Id(),
    url: ImageUrl('the cleaned original; immutable, cacheable forever'),
    width: Type.Integer({ description: 'of the original, upright' }),
    height: Type.Integer({ description: 'of the original, upright' }),
    variants: Type.Object({
      thumbnail: ImageUrl('at most 320 px wide'),
      standard: ImageUrl('at most 1080 px wide'),
    }),
  },
  { $id: 'Media', description: 'An uploaded photo: use its URLs as `photo` of a post or `profilePic`' },
);
export const Media = ref(MediaSchema);
export type Media = Static<typeof Media>;

const ExportSchema = Type.Object(
  {
    id: Id(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('ready'), Type.Literal('failed')]),
    createdAt: Timestamp(),
    readyAt: Type.Optional(Timestamp()),
    url: Type.Optional(
      Type.String({
        format: 'uri',
        description:
          'while ready and not expired: downloads the archive (application/zip) without a bearer token; keep it secret',
      }),
    ),
    expiresAt: Type.Optional(Timestamp('when the archive and its url are gone')),
  },
  { $id: 'Export', description: "An archive of the caller's data, built in the background" },
);
export const Export = ref(ExportSchema);
export type Export = Static<typeof Export>;

/** One page of a list (API.md, Conventions: Lists); `nextCursor` is null on the last one. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * The list envelope of one resource. JSON Schema has no generics that OpenAPI tools follow, so each list
 * is a component of its own (`PostPage`), whose `items` refer to the resource's one component.
 */
function pageOf<T extends TSchema>(item: T, name: string) {
  return Type.Object(
    { items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) },
    {
      $id: `${name}Page`,
      description: `one page of a list of ${name}; the route says its order`,
    },
  );
}

const UserSummaryPageSchema = pageOf(UserSummary, 'UserSummary');
export const UserSummaryPage = ref(UserSummaryPageSchema);
const PostPageSchema = pageOf(Post, 'Post');
export const PostPage = ref(PostPageSchema);
const CommentPageSchema = pageOf(Comment, 'Comment');
export const CommentPage = ref(CommentPageSchema);
const ReplyPageSchema = pageOf(Reply, 'Reply');
export const ReplyPage = ref(ReplyPageSchema);
const FollowRequestPageSchema = pageOf(FollowRequest, 'FollowRequest');
export const FollowRequestPage = ref(FollowRequestPageSchema);
const TagPageSchema = pageOf(Tag, 'Tag');
export const TagPage = ref(TagPageSchema);

/** The definitions the references above name: `createServiceApp` adds them to every app. */
export const resourceSchemas: readonly TSchema[] = [
  UserSummarySchema,
  ProfileSchema,
  PostSchema,
  CommentSchema,
  ReplySchema,
  FollowRequestSchema,
  TagSchema,
  MediaSchema,
  ExportSchema,
  UserSummaryPageSchema,
  PostPageSchema,
  CommentPageSchema,
  ReplyPageSchema,
  FollowRequestPageSchema,
  TagPageSchema,
];
