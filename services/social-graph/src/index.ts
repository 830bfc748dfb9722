export {
  buildSocialGraphApp,
  type SocialGraphAppDeps,
  type SocialGraphRoutesOptions,
  socialGraphRoutes,
} from './app.js';
export {
  decideFollow,
  evolveFollow,
  type FollowCommand,
  type FollowError,
  type FollowErrorCode,
  type FollowEvent,
  type FollowState,
  followDecider,
  initialFollowState,
} from './follows/follow.js';
export { type SocialGraphReactionsOptions, socialGraphReactions } from './reactions.js';
