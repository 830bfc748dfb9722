import { aggregates } from './aggregates.js';
import { catalogue } from './catalogue.js';

/**
 * The catalogue as plain JSON Schema documents (draft 2020-12), one per event at its current
 * version, plus an index. Written to packages/events/schemas/ for consumers that do not read
 * TypeScript; a unit test fails when the files fall behind the code.
 */
export function jsonSchemaFiles(): Record<string, unknown> {
  const files: Record<string, unknown> = {};
  for (const definition of catalogue) {
    files[`${definition.type}.v${definition.version}.schema.json`] = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: `urn:gram:event:${definition.type}:v${definition.version}`,
      title: definition.type,
      description: definition.description,
      'x-event-version': definition.version,
      'x-visibility': definition.visibility,
      'x-stream-category': definition.aggregate.category,
      'x-topic': definition.visibility === 'public' ? definition.aggregate.topic : null,
      ...JSON.parse(JSON.stringify(definition.schema)),
    };
  }
  files['index.json'] = {
    aggregates,
    events: catalogue.map((d) => ({
      type: d.type,
      version: d.version,
      visibility: d.visibility,
      aggregate: d.aggregate.category,
      topic: d.visibility === 'public' ? d.aggregate.topic : null,
      key: d.visibility === 'public' ? 'stream id' : null,
      schema: `${d.type}.v${d.version}.schema.json`,
    })),
  };
  return files;
}
