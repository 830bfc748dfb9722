import { serviceRoutes } from '@gram/gateway';
import { describe, expect, it } from 'vitest';
import { asWritten, readServiceRoutes } from './route-table.js';

describe('the distributed gateway’s routing table', () => {
  it('is the one the services’ route plugins declare (`pnpm route-table` writes it again)', async () => {
    expect(await serviceRoutes()).toEqual(asWritten(await readServiceRoutes()));
  });
});
