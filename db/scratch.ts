import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { migrateDatabase, openDatabase, type Database } from './client.ts';

/**
 * A fresh, migrated database that `close` throws away: a new PostgreSQL database created beside
 * `adminUrl` (tests and benchmarks run side by side without sharing rows), or in-memory PGlite
 * when no URL is given.
 */
export async function openScratchDatabase(adminUrl: string | undefined, prefix: string): Promise<Database> {
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
    close: async () => {
      await database.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
