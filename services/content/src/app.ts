import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { EventStore } from '@gram/event-store';
import { isPublicEvent, type PersonalFields, personalFields } from '@gram/events';
import { type DataKeys, personalDataEventStore, readOnlyKeys } from '@gram/personal-data';
import {
  type AccessTokenVerifier,
  AccountDirectory,
  authentication,
  createServiceApp,
  type IdempotencyStore,
  idempotency,
  type ServiceApp,
  type ServiceAppOptions,
  verifiedTokens,
} from '@gram/service-kit';
import fp from 'fastify-plugin';
import { commentRoutes } from './comments/routes.js';
import { contentContext } from './context.js';
import { likeRoutes } from './likes/routes.js';
import { postRoutes } from './posts/routes.js';
import { replyRoutes } from './replies/routes.js';
import type { MentionDirectory } from './texts/mention-directory.js';

export interface ContentRoutesOptions {
  store: EventStore;
  /**
   * Account status from identity's user streams. Share the instance given to `authentication`'s
   * `isRevoked` when there is one: it remembers deleted accounts.
   */
  accounts?: AccountDirectory;
  /** the clock commands are stamped with; the system clock unless a test fixes it */
  clock?: () => Date;
  /**
   * The accounts' data keys (identity's): captions and comment texts are written encrypted under their author's
   * key, and a write answers with its author's profile, which the log holds encrypted too.
   */
  dataKeys: DataKeys;
  /**
   * Which userNames name live accounts (identity's): a caption, comment or reply records the accounts it mentions.
   * Identity's `liveAccountsNamed` in-process, `httpMentionDirectory` to identity's internal route otherwise.
   */
  mentions: MentionDirectory;
  /**
   * Which fields of which events are personal, and so written encrypted and read decrypted: the public events'
   * personal fields of the catalogue unless set. The content benchmark sets none, to measure what encryption costs
   * against the same code without it.
   */
  personalFields?: Readonly<Record<string, PersonalFields>>;
}

/**
 * Every route of the content service under its full public path (`/api/v1/...`), for the
 * standalone app below and for the gateway, which mounts it in its own process (embedded mode).
 * It needs the `authentication` and `idempotency` plugins registered before it.
 */
/** The personal fields of public events: those content may read (see contentRoutes). */
const publicPersonalFields = Object.fromEntries(
  Object.entries(personalFields).filter(([type]) => isPublicEvent(type)),
);

export const contentRoutes = fp<ContentRoutesOptions>(
  async (app, options) => {
    const accounts = options.accounts ?? new AccountDirectory(options.store);
    // Captions and comment texts are written encrypted under their author's key, and read decrypted, like the
    // authors' profiles; account status needs no key (the raw log). Only public events' fields: the contact data
    // and password hash in an author's stream never leave identity, so content leaves them encrypted.
    const store = personalDataEventStore(
      options.store,
      readOnlyKeys(options.dataKeys),
      options.personalFields ?? publicPersonalFields,
    );
    const ctx = contentContext(store, accounts, options.mentions, options.clock ?? (() => new Date()));
    const typed = app.withTypeProvider<TypeBoxTypeProvider>();
    await typed.register(postRoutes, ctx);
    await typed.register(likeRoutes, ctx);
    await typed.register(commentRoutes, ctx);
    await typed.register(replyRoutes, ctx);
  },
  { name: 'content-routes', dependencies: ['authentication', 'idempotency'] },
);

export interface ContentAppDeps {
  store: EventStore;
  /** verifies identity's access tokens (its JWKS) */
  verifier: AccessTokenVerifier;
  logger?: ServiceAppOptions['logger'];
  /** INTERNAL_SERVICE_SECRET (distributed mode): only calls carrying it are served (see service-kit) */
  internalSecret?: string;
  clock?: () => Date;
  /** where the answers to requests sent with an Idempotency-Key are kept (service-kit's idempotency) */
  idempotency?: IdempotencyStore;
  /** see ContentRoutesOptions */
  dataKeys: DataKeys;
  /** see ContentRoutesOptions */
  mentions: MentionDirectory;
  /** see ContentRoutesOptions */
  personalFields?: ContentRoutesOptions['personalFields'];
}

/** The content service as a standalone app: posts, likes, comments and replies. */
export function buildContentApp(deps: ContentAppDeps): ServiceApp {
  const app = createServiceApp({
    name: 'content',
    description: 'Posts, likes, comments and replies (the write side)',
    ...(deps.logger !== undefined ? { logger: deps.logger } : {}),
    internalSecret: deps.internalSecret,
  });
  const accounts = new AccountDirectory(deps.store);
  app.register(authentication, {
    verifier: verifiedTokens(deps.verifier),
    // A validly signed token of an account that is not active (never registered, or deleted
    // since the token was issued) is refused: identity's user stream is the truth for that.
    isRevoked: async (claims) => (await accounts.status(claims.userId)) !== 'active',
  });
  app.register(idempotency, deps.idempotency ? { store: deps.idempotency } : {});
  app.register(contentRoutes, {
    store: deps.store,
    accounts,
    ...(deps.clock ? { clock: deps.clock } : {}),
    dataKeys: deps.dataKeys,
    mentions: deps.mentions,
    ...(deps.personalFields ? { personalFields: deps.personalFields } : {}),
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
