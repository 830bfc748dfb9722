import { buildGatewayApp } from './app.js';

const app = buildGatewayApp();
await app.listen({ port: Number(process.env.PORT ?? 8080), host: process.env.HOST ?? '0.0.0.0' });
