// Writes the distributed gateway's routing table from the services' route plugins (route-table.ts):
// `pnpm route-table`, after a route of any service is added or changed.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serviceRoutesFile } from '@gram/gateway';
import { readServiceRoutes } from './route-table.js';

writeFileSync(serviceRoutesFile, `${JSON.stringify(await readServiceRoutes(), null, 2)}\n`);
console.log(`wrote ${fileURLToPath(serviceRoutesFile)}`);
