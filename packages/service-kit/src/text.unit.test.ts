import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { createServiceApp } from './app.js';
import { checkText, type TextRule, textFields } from './text.js';

describe('checkText', () => {
  const accepted: [rule: TextRule, value: string, text: string][] = [
    ['line', 'Ada Lovelace', 'Ada Lovelace'],
    ['line', '  Ada  ', 'Ada'],
    ['line', '\u00a0Ada\u3000', 'Ada'],
    ['line', 'José 😀', 'José 😀'],
    ['line', '👩\u200d💻', '👩\u200d💻'],
    ['line', 'עברית\u200f', 'עברית\u200f'],
    ['line', '', ''],
    ['line', '   ', ''],
    ['lines', 'first line\nsecond line', 'first line\nsecond line'],
    ['lines', 'a\tb\r\nc', 'a\tb\r\nc'],
    ['lines', '\n caption \n', 'caption'],
  ];
  it.each(accepted)('%s accepts %j as %j', (rule, value, text) => {
    expect(checkText(value, rule)).toEqual({ ok: true, text });
  });

  const refused: [rule: TextRule, value: string, why: RegExp][] = [
    ['line', '\u200b', /visible/],
    ['line', '\u0000', /control/],
    ['line', '\u202e', /visible/],
    ['line', '\u200b\u200c\u200d\u2060\ufeff', /visible/],
    ['line', ' \u200b \u202e ', /visible/],
    ['line', '\u3164', /visible/],
    ['line', '\u00ad', /visible/],
    ['line', 'Ada\u0000', /control/],
    ['line', 'Ada\nLovelace', /control/],
    ['line', 'Ada\tLovelace', /control/],
    ['line', 'Ada\u007f', /control/],
    ['line', 'Ada\u0085', /control/],
    ['line', 'Ada\u001b[31m', /control/],
    ['lines', 'caption\u0000', /control/],
    ['lines', 'a\u0007b', /control/],
    ['lines', '\u200b\n\u200b', /visible/],
  ];
  it.each(refused)('%s refuses %j', (rule, value, why) => {
    const checked = checkText(value, rule);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.message).toMatch(why);
  });
});

describe('textFields', () => {
  async function buildApp() {
    const app = createServiceApp({ name: 'test' });
    app.post(
      '/things',
      {
        preValidation: textFields({ name: 'line', bio: 'lines' }),
        schema: {
          body: Type.Object({ name: Type.String({ minLength: 1 }), bio: Type.Optional(Type.String()) }),
        },
      },
      async (request) => request.body,
    );
    return app;
  }

  it('trims the named fields before the schema judges them', async () => {
    const app = await buildApp();
    const res = await app.inject({
      method: 'POST',
      url: '/things',
      payload: { name: ' Ada ', bio: ' hi\n' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ name: 'Ada', bio: 'hi' });
    const blank = await app.inject({ method: 'POST', url: '/things', payload: { name: '   ' } });
    expect(blank.statusCode).toBe(400);
  });

  it('refuses every field that breaks its rule with one 400 validation problem naming each', async () => {
    const app = await buildApp();
    const res = await app.inject({
      method: 'POST',
      url: '/things',
      payload: { name: '\u200b', bio: 'a\u0000b' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({
      status: 400,
      code: 'validation',
      errors: [
        { field: 'name', message: expect.stringMatching(/visible/) },
        { field: 'bio', message: expect.stringMatching(/control/) },
      ],
    });
  });

  it('leaves a value that is not a string to the schema', async () => {
    const app = await buildApp();
    const res = await app.inject({ method: 'POST', url: '/things', payload: { name: 5 } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ field: 'name', message: expect.any(String) }]);
  });
});
