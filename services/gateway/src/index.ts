export * from './app.js';
export * from './embedded-app.js';
