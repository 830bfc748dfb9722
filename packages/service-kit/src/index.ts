export * from './accounts.js';
export * from './app.js';
export * from './auth.js';
export * from './command-handler.js';
export * from './domain.js';
export * from './ids.js';
export * from './problem.js';
export * from './write-response.js';
