import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createServiceApp } from './app.js';
import { prettyOnTerminal } from './logging.js';

const options = { level: 'info', redact: ['req.headers.authorization'] };

describe('a process’s log', () => {
  it('is pretty-printed by pino-pretty when standard output is a terminal', () => {
    const chosen = prettyOnTerminal(options, { isTTY: true });
    expect(chosen).toMatchObject(options);
    expect(chosen.transport).toMatchObject({ target: expect.stringMatching(/pino-pretty/) });
  });

  it('is JSON lines, as given, when standard output is a file, a pipe or a container’s log', () => {
    expect(prettyOnTerminal(options, { isTTY: false })).toEqual(options);
    // A pipe's or a file's stream has no isTTY at all.
    expect(prettyOnTerminal(options, {})).toEqual(options);
  });
});

describe('a request’s log entries', () => {
  it('show its URL without the key of a download link, and its other parameters as they are', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const app = createServiceApp({ name: 'logged', logger: { level: 'info', stream } });
    app.get('/archive', async () => ({ ok: true }));
    await app.inject({ method: 'GET', url: '/archive?limit=5&key=s3cr3t-k3y&x=1' });
    await app.close();
    const logged = lines.join('');
    expect(logged).toContain('/archive?limit=5&key=[redacted]&x=1');
    expect(logged).not.toContain('s3cr3t');
  });
});
