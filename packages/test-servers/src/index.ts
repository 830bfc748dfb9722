// Real Redis, Kafka and MongoDB-protocol servers for tests and local runs: containers where a Docker engine
// runs, local processes (installed on demand, cached between runs) everywhere else. See README.md.
import './provided-context.js';

export { isCi } from './ci.js';
export { startKafka } from './kafka.js';
export { KAFKA_VERSION } from './kafka-install.js';
export { serverMode } from './mode.js';
export { startMongo } from './mongo.js';
export { startRedis } from './redis.js';
export {
  type StartTestServersOptions,
  serversFromEnv,
  startTestServers,
  type TestServers,
} from './servers.js';
export type {
  AnyRunningServer,
  RunningKafka,
  RunningMongo,
  RunningRedis,
  RunningServer,
  ServerMode,
  ServerName,
} from './types.js';
