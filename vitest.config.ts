import { configDefaults, defineConfig } from 'vitest/config';

/**
 * PostgreSQL only: suites whose worker runs in another process, so they need a database server, and
 * suites that need concurrent transactions.
 */
const postgresOnly = ['test/rescue/faults.test.ts', 'test/engine/ingest-race.test.ts'];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...(process.env.TEST_DATABASE_URL ? [] : postgresOnly)],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: devserver and database suites fight for CPU when run wide.
    maxWorkers: 2,
  },
});
