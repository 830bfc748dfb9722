export * from './from-env.js';
export * from './idempotency.js';
export * from './redis-store.js';
export * from './sqlite-store.js';
export * from './store.js';
