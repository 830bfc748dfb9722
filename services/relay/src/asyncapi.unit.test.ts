import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { catalogue, internalTopics, publicTopics, workerTopics } from '@gram/events';
import { cloudEventHeaders, toKafkaRecord } from '@gram/messaging';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { asyncApiDocument } from './asyncapi.js';

const committedPath = join(import.meta.dirname, '..', '..', '..', 'docs', 'asyncapi.yaml');
const committed = parse(readFileSync(committedPath, 'utf8')) as AsyncApi;

interface Message {
  name: string;
  headers: { required: string[]; properties: Record<string, { const?: string }> };
  payload: Record<string, unknown>;
  bindings: { kafka: { key: { pattern: string } } };
}
interface AsyncApi {
  channels: Record<
    string,
    {
      address: string;
      summary: string;
      description: string;
      tags: { name: string }[];
      messages: Record<string, { $ref: string }>;
    }
  >;
  components: { messages: Record<string, Message> };
}

const messageOf = (type: string) => committed.components.messages[type] as Message;
const channelOfTopic = (topic: string) => Object.values(committed.channels).find((c) => c.address === topic);

describe('docs/asyncapi.yaml', () => {
  it('is what the catalogue generates (run `pnpm --filter @gram/relay asyncapi` after changing packages/events)', () => {
    expect(committed).toEqual(asyncApiDocument());
  });

  it('is a valid AsyncAPI 3.0 document', () => {
    const require = createRequire(import.meta.url);
    const schema = require('@asyncapi/specs/schemas/3.0.0-without-$id.json');
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(schema);
    expect(validate(committed), JSON.stringify(validate.errors?.slice(0, 5), null, 2)).toBe(true);
  });

  it('has one channel per public or internal topic, holding exactly the events of that topic', () => {
    expect(
      Object.values(committed.channels)
        .map((c) => c.address)
        .sort(),
    ).toEqual([...workerTopics].sort());
    for (const topic of workerTopics) {
      const types = catalogue
        .filter((d) => d.visibility !== 'private' && d.aggregate.topic === topic)
        .map((d) => d.type);
      expect(Object.keys(channelOfTopic(topic)?.messages ?? {}).sort(), topic).toEqual(types.sort());
    }
  });

  it('marks every internal topic as internal, not for consumers, and no public one so', () => {
    for (const topic of internalTopics) {
      const channel = channelOfTopic(topic);
      expect(channel?.summary, topic).toMatch(/^INTERNAL, not for consumers/);
      expect(channel?.description, topic).toMatch(/must never subscribe/);
      expect(channel?.tags, topic).toContainEqual({ name: 'internal' });
    }
    expect(channelOfTopic('internal.social.relations')?.messages).toHaveProperty('UserMuted');
    for (const topic of publicTopics)
      expect(channelOfTopic(topic)?.tags, topic).not.toContainEqual({ name: 'internal' });
  });

  it("documents every public event's payload with the catalogue's JSON Schema at its current version, personal fields as encrypted strings", () => {
    for (const definition of catalogue.filter((d) => d.visibility === 'public')) {
      const message = messageOf(definition.type);
      const { $id, title, description, ...payload } = message.payload;
      const expected = JSON.parse(JSON.stringify(definition.schema));
      const properties = payload.properties as Record<string, unknown>;
      for (const field of definition.personal?.fields ?? []) {
        // Published encrypted: a string whatever the plaintext's rules, marked with its owner.
        expect(properties[field], `${definition.type}.${field}`).toMatchObject({
          type: 'string',
          'x-personal': { owner: definition.personal?.owner },
        });
        delete expected.properties[field];
        delete properties[field];
      }
      expect(payload, definition.type).toMatchObject(expected);
      expect($id).toBe(`urn:gram:event:${definition.type}:v${definition.version}`);
      expect(message.headers.properties.ce_type?.const).toBe(definition.type);
      expect(message.headers.properties.ce_eventversion?.const).toBe(String(definition.version));
    }
  });

  it('carries no private event, and no payload field for contact data or secrets', () => {
    const documented = Object.keys(committed.components.messages);
    for (const definition of catalogue.filter((d) => d.visibility === 'private')) {
      expect(documented, definition.type).not.toContain(definition.type);
    }
    for (const message of Object.values(committed.components.messages)) {
      const fields = Object.keys((message.payload.properties ?? {}) as Record<string, unknown>);
      for (const field of fields) expect(field, message.name).not.toMatch(/email|phone|password|hash|token/i);
    }
  });

  it('describes the headers, key and payload the relay actually writes', () => {
    const userId = '01890a5d-ac96-774b-bcce-b302099a8057';
    const postId = '01890a5d-ac96-774b-bcce-b302099a8058';
    const record = toKafkaRecord({
      id: '01890a5d-ac96-774b-bcce-b302099a8059',
      type: 'PostLiked',
      version: 1,
      streamId: `like-${postId}_${userId}`,
      streamRevision: 0,
      position: 7,
      time: '2026-11-24T10:00:00.000Z',
      data: { postId, userId, postAuthorId: userId, likedAt: '2026-11-24T10:00:00.000Z' },
    });
    const message = messageOf('PostLiked');
    expect(Object.keys(record.headers).sort()).toEqual([...message.headers.required].sort());
    expect(Object.values(cloudEventHeaders).sort()).toEqual([...message.headers.required].sort());
    const ajv = new Ajv({ strict: false, validateFormats: false });
    expect(ajv.validate(message.headers, record.headers), JSON.stringify(ajv.errors)).toBe(true);
    expect(ajv.validate(message.payload, JSON.parse(record.value)), JSON.stringify(ajv.errors)).toBe(true);
    expect(record.key).toMatch(new RegExp(message.bindings.kafka.key.pattern));
  });
});
