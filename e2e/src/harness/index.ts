export * from './distributed.js';
export * from './embedded.js';
export { freePort } from './ports.js';
export { repoRoot, ServiceProcess, type ServiceProcessSpec } from './service-process.js';
