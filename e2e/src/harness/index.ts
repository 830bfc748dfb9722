export * from './distributed.js';
export * from './embedded.js';
export { databaseText, directoryText, filesText, redisText, topicText, zipEntries } from './forensics.js';
export { freePort } from './ports.js';
export { repoRoot, ServiceProcess, type ServiceProcessSpec } from './service-process.js';
