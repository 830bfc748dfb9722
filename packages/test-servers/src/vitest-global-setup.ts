import type { TestProject } from 'vitest/node';
import './provided-context.js';
import { startTestServers, type TestServers } from './servers.js';

// The int and e2e projects both name this global setup, and one `vitest run` may run both. vitest evaluates
// it once per project, so without sharing there would be two Kafkas on a 2-core machine. The servers are
// therefore shared through the process-wide globalThis and stopped when the last project tears down.
interface Shared {
  servers: Promise<TestServers>;
  users: number;
}
const SHARED = Symbol.for('@gram/test-servers/shared');
type GlobalWithShared = typeof globalThis & { [SHARED]?: Shared };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const global = globalThis as GlobalWithShared;
  let shared = global[SHARED];
  if (!shared) {
    const servers = startTestServers().then((started) => {
      console.info(started.summary);
      return started;
    });
    shared = { servers, users: 0 };
    global[SHARED] = shared;
    // After a failed start, the next project to run this setup tries again rather than reuse the failure.
    servers.catch(() => {
      if (global[SHARED] === shared) delete global[SHARED];
    });
  }
  shared.users += 1;
  const servers = await shared.servers;

  if (servers.redis) project.provide('redisUrl', servers.redis.url);
  if (servers.kafka) project.provide('kafkaBrokers', servers.kafka.brokers);
  if (servers.mongo) project.provide('mongoUrl', servers.mongo.url);
  if (servers.s3) {
    project.provide('s3Url', servers.s3.url);
    project.provide('s3Credentials', { accessKey: servers.s3.accessKey, secretKey: servers.s3.secretKey });
  }
  // For the processes that e2e tests spawn (services in distributed mode), which cannot call inject().
  Object.assign(process.env, servers.env);

  const current = shared;
  return async () => {
    current.users -= 1;
    if (current.users > 0) return;
    if (global[SHARED] === current) delete global[SHARED];
    const stopping = Date.now();
    await servers.stop();
    console.info(`test servers: stopped in ${((Date.now() - stopping) / 1000).toFixed(1)}s`);
  };
}
