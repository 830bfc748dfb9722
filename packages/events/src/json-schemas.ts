import { aggregates } from './aggregates.js';
import { catalogue } from './catalogue.js';

/**
 * A personal field as it is stored and published: encrypted under its account's data key, or, in an event
 * stored before encryption existed and not migrated, the plaintext itself; empty for a deleted account whose
 * event a reader decrypted. Its rules (length, pattern) hold for the plaintext only.
 */
function personalFieldSchema(owner: string, plaintext: { description?: string }): Record<string, unknown> {
  return {
    type: 'string',
    'x-personal': { owner },
    description:
      `${plaintext.description ? `${plaintext.description} ` : ''}Personal data: encrypted under the data key of the account \`${owner}\` names ` +
      '(`pd1.` then base64url of IV, AES-256-GCM ciphertext and tag), which is destroyed when that account is deleted; ' +
      'the plaintext itself only in events stored before encryption and not migrated.',
  };
}

/**
 * The catalogue as plain JSON Schema documents (draft 2020-12), one per event at its current
 * version, plus an index: the payloads as stored and published (personal fields encrypted, secrets marked
 * `x-secret`: credentials shown to no one, not even in the account's export). Written to
 * packages/events/schemas/ for consumers that do not read TypeScript; a unit test fails when the files fall
 * behind the code.
 */
export function jsonSchemaFiles(): Record<string, unknown> {
  const files: Record<string, unknown> = {};
  for (const definition of catalogue) {
    const schema = JSON.parse(JSON.stringify(definition.schema));
    for (const field of definition.personal?.fields ?? []) {
      schema.properties[field] = personalFieldSchema(
        definition.personal?.owner as string,
        schema.properties[field],
      );
    }
    for (const field of definition.secret ?? []) schema.properties[field]['x-secret'] = true;
    files[`${definition.type}.v${definition.version}.schema.json`] = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: `urn:gram:event:${definition.type}:v${definition.version}`,
      title: definition.type,
      description: definition.description,
      'x-event-version': definition.version,
      'x-visibility': definition.visibility,
      'x-stream-category': definition.aggregate.category,
      'x-topic': definition.visibility === 'private' ? null : definition.aggregate.topic,
      ...schema,
    };
  }
  files['index.json'] = {
    aggregates,
    events: catalogue.map((d) => ({
      type: d.type,
      version: d.version,
      visibility: d.visibility,
      aggregate: d.aggregate.category,
      topic: d.visibility === 'private' ? null : d.aggregate.topic,
      key: d.visibility === 'private' ? null : 'stream id',
      schema: `${d.type}.v${d.version}.schema.json`,
    })),
  };
  return files;
}
