import { buildProjectionsApp } from './app.js';

const app = buildProjectionsApp();
await app.listen({ port: Number(process.env.PORT ?? 4004), host: process.env.HOST ?? '0.0.0.0' });
