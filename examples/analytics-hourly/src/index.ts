export * from './consumer.js';
export * from './contract.js';
export * from './hourly-counts.js';
