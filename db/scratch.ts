import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { migrateDatabase, openDatabase, type Database } from './client.ts';

/** `url` is set on PostgreSQL, for other processes (a worker under test) to connect to the same database. */
export type ScratchDatabase = Database & { url?: string };

/**
 * A fresh, migrated database that `close` throws away: a new PostgreSQL database created beside
 * `adminUrl` (tests and benchmarks run side by side without sharing rows), or in-memory PGlite
 * when no URL is given.
 */
export async function openScratchDatabase(adminUrl: string | undefined, prefix: string): Promise<ScratchDatabase> {
  if (!adminUrl) {
    const database = await openDatabase();
    await migrateDatabase(database);
    return database;
  }
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString() });
  await migrateDatabase(database);
  return {
    ...database,
    url: url.toString(),
    close: async () => {
      await database.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
