import { describe, expect, it } from 'vitest';
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
