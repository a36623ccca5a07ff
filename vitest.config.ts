import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Node resolves `graphql` to its CommonJS build (what @apollo/subgraph and
  // Yoga load); Vite would pick the .mjs build and end up with two copies.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['test/**/*.test.ts'],
    // With DATABASE_URL: checks the server once and creates its database if missing.
    globalSetup: ['test/support/global-setup.ts'],
    // Every test file opens its own database; PGlite's start-up dominates, so
    // allow it time on a loaded 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
