// Writes docs/asyncapi.yaml from the event catalogue: `pnpm --filter @gram/relay asyncapi`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asyncApiYaml } from '../src/asyncapi.js';

const target = join(import.meta.dirname, '..', '..', '..', 'docs', 'asyncapi.yaml');
writeFileSync(target, asyncApiYaml());
console.log(`wrote ${target}`);
