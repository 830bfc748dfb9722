import { defaultHotAuthorThreshold, type ProjectorOptions } from '../projection/projector.js';
import { defaultFeedCap } from '../store/document-store.js';

/** HOT_AUTHOR_THRESHOLD (default 10,000 followers), FEED_CAP (default 800 entries), PROJECTION_CONCURRENCY (32). */
export function projectorOptionsFromEnv(
  env: Record<string, string | undefined> = process.env,
): ProjectorOptions {
  return {
    hotAuthorThreshold: Number(env.HOT_AUTHOR_THRESHOLD ?? defaultHotAuthorThreshold),
    feedCap: Number(env.FEED_CAP ?? defaultFeedCap),
    concurrency: Number(env.PROJECTION_CONCURRENCY ?? 32),
  };
}
