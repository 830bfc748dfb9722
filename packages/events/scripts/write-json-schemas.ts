import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonSchemaFiles } from '../src/json-schemas.js';

const dir = join(import.meta.dirname, '..', 'schemas');
mkdirSync(dir, { recursive: true });
for (const stale of readdirSync(dir)) rmSync(join(dir, stale));
for (const [name, content] of Object.entries(jsonSchemaFiles())) {
  writeFileSync(join(dir, name), `${JSON.stringify(content, null, 2)}\n`);
}
console.log(`wrote ${Object.keys(jsonSchemaFiles()).length} files to ${dir}`);
