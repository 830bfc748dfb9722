import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceApp, type ServiceApp } from './app.js';

let app: ServiceApp;
let port: number;
beforeAll(async () => {
  app = createServiceApp({ name: 'test' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
});
afterAll(() => app.close());

/** Sends raw bytes and reads everything the server answers until it closes the connection. */
function exchange(request: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), headers: head, body });
    });
    socket.end(request);
  });
}

describe("what Node's HTTP parser refuses before fastify sees a request", () => {
  it('answers header fields over the size limit with a 431 problem carrying a code', async () => {
    const res = await exchange(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(res.status).toBe(431);
    expect(res.headers).toMatch(/^content-type: application\/problem\+json/im);
    expect(JSON.parse(res.body)).toMatchObject({
      status: 431,
      title: 'Request Header Fields Too Large',
      code: 'request-header-fields-too-large',
      detail: expect.any(String),
    });
  });

  it('answers a request that is not HTTP with a 400 problem carrying a code', async () => {
    const res = await exchange('GET /health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
    expect(res.status).toBe(400);
    expect(res.headers).toMatch(/^content-type: application\/problem\+json/im);
    expect(JSON.parse(res.body)).toMatchObject({ status: 400, code: 'bad-request' });
  });
});
