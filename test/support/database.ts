import { openScratchDatabase, type ScratchDatabase } from '../../db/scratch.ts';

/**
 * A fresh, migrated database for one test file: a new PostgreSQL database when TEST_DATABASE_URL is
 * set (dropped again by `close`), otherwise an in-memory PGlite.
 */
export function openTestDatabase(): Promise<ScratchDatabase> {
  return openScratchDatabase(process.env.TEST_DATABASE_URL, 'lifeline_test');
}
