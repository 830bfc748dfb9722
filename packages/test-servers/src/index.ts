// Real Redis, Kafka, MongoDB-protocol and S3-compatible servers for tests and local runs: containers where a Docker engine
// runs, local processes (installed on demand, cached between runs) everywhere else. See README.md.
import './provided-context.js';

export { isCi } from './ci.js';
export { startKafka } from './kafka.js';
export { KAFKA_VERSION } from './kafka-install.js';
export { MINIO_MODULE_VERSION, startS3 } from './minio.js';
export { serverMode } from './mode.js';
export { startMongo } from './mongo.js';
export { startRedis } from './redis.js';
export { installSchemathesis, SCHEMATHESIS_VERSION, type SchemathesisInstallation } from './schemathesis.js';
export {
  type StartTestServersOptions,
  serversFromEnv,
  startTestServers,
  type TestServers,
} from './servers.js';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
export type {
  AnyRunningServer,
  RunningKafka,
  RunningMongo,
  RunningRedis,
  RunningS3,
  RunningServer,
  ServerMode,
  ServerName,
} from './types.js';
