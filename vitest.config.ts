import { defineConfig } from 'vitest/config';

// Test files say what they need in their names (see DESIGN.md):
//   *.unit.test.ts  no I/O
//   *.int.test.ts   one real server (SQLite file, Redis, Kafka, MongoDB protocol, EventStoreDB)
//   *.e2e.test.ts   the whole system over HTTP
// The int and e2e projects share one global setup that provides real servers (packages/test-servers).
const exclude = ['**/node_modules/**', '**/dist/**'];

export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['**/*.unit.test.ts'], exclude },
      },
      {
        test: {
          name: 'int',
          include: ['**/*.int.test.ts'],
          exclude,
          globalSetup: ['./packages/test-servers/src/vitest-global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['**/*.e2e.test.ts'],
          exclude,
          globalSetup: ['./packages/test-servers/src/vitest-global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // After unit and int: whole systems (several processes each) get the cores to themselves.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
