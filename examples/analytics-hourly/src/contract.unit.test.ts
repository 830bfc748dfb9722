import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { countedTypes, headers, topics } from './contract.js';

interface AsyncApi {
  channels: Record<string, { address: string; messages: Record<string, unknown> }>;
  components: { messages: Record<string, { headers: { required: string[] } }> };
}

const asyncapi = parse(
  readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'asyncapi.yaml'), 'utf8'),
) as AsyncApi;

describe('what the example relies on is in docs/asyncapi.yaml', () => {
  it('reads topics the contract documents, and each counted event type is a message of its topic', () => {
    const channelOf = (address: string) =>
      Object.values(asyncapi.channels).find((c) => c.address === address);
    for (const topic of Object.values(topics)) expect(channelOf(topic), topic).toBeDefined();
    expect(Object.keys(channelOf(topics.posts)?.messages ?? {})).toContain('PostCreated');
    expect(Object.keys(channelOf(topics.likes)?.messages ?? {})).toContain('PostLiked');
    expect(Object.keys(channelOf(topics.follows)?.messages ?? {})).toContain('UserFollowed');
  });

  it('subscribes to no internal topic (who muted whom is not for analytics)', () => {
    const internal = Object.values(asyncapi.channels)
      .map((c) => c.address)
      .filter((address) => address.startsWith('internal.'));
    expect(internal.length).toBeGreaterThan(0);
    for (const topic of Object.values(topics)) expect(internal, topic).not.toContain(topic);
  });

  it('reads only headers every counted message is documented to carry', () => {
    for (const type of Object.keys(countedTypes)) {
      const required = asyncapi.components.messages[type]?.headers.required ?? [];
      for (const name of Object.values(headers)) expect(required, `${type} ${name}`).toContain(name);
    }
  });
});
