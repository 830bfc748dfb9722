import { blocksSuite } from './blocks.js';
import { contentSuite } from './content.js';
import { exportsSuite } from './exports.js';
import { feedSuite } from './feed.js';
import { identitySuite } from './identity.js';
import { journeySuite } from './journey.js';
import { mediaSuite } from './media.js';
import { notificationsSuite } from './notifications.js';
import { notificationsStreamSuite } from './notifications-stream.js';
import { oddInputSuite } from './odd-input.js';
import { operationsSuite } from './operations.js';
import { privacySuite } from './privacy.js';
import { privateAccountsSuite } from './private-accounts.js';
import { retriesSuite } from './retries.js';
import { searchSuite } from './search.js';
import { socialGraphSuite } from './social-graph.js';
import type { SystemRef } from './system.js';
import { tagsSuite } from './tags.js';

export { accessLimitsEnv, type SystemRef, type SystemUnderTest, writesPerUserPerMinute } from './system.js';

/**
 * The whole public API (every row of API.md and every status it lists) over real HTTP through the
 * gateway, the same for every mode: each mode's test file starts its system once and runs this.
 */
export function apiSuite(system: SystemRef): void {
  operationsSuite(system);
  identitySuite(system);
  exportsSuite(system);
  socialGraphSuite(system);
  privacySuite(system);
  privateAccountsSuite(system);
  blocksSuite(system);
  contentSuite(system);
  mediaSuite(system);
  feedSuite(system);
  notificationsSuite(system);
  searchSuite(system);
  tagsSuite(system);
  notificationsStreamSuite(system);
  retriesSuite(system);
  journeySuite(system);
  oddInputSuite(system);
}
