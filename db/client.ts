import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import * as schema from './schema.ts';

export type Drizzle = PgDatabase<PgQueryResultHKT, typeof schema>;

/** Parameterised raw SQL; rows come back with timestamps as Date and numeric as string on both engines. */
export type Query = <T = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<T[]>;

export interface Database {
  kind: 'postgres' | 'pglite';
  db: Drizzle;
  query: Query;
  /** Bulk load with COPY … FROM STDIN (postgres) or COPY … FROM '/dev/blob' (PGlite). */
  copy(table: string, columns: readonly string[], rows: Iterable<readonly unknown[]>): Promise<number>;
  /** Runs `work` in one transaction on one connection: all of its queries commit, or none. */
  transaction<T>(work: (query: Query) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** A PostgreSQL connection string; without it Lifeline runs on embedded PGlite. */
  url?: string;
  /** PGlite data directory; omitted means in memory. Ignored with `url`. */
  dataDir?: string;
  /** Connections in the pool (postgres only). */
  max?: number;
}

const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

export async function openDatabase(options: DatabaseOptions = {}): Promise<Database> {
  return options.url ? openPostgres(options.url, options.max ?? 10) : openPglite(options.dataDir);
}

export async function migrateDatabase(database: Database): Promise<void> {
  if (database.kind === 'postgres') {
    await migratePostgres(database.db as Parameters<typeof migratePostgres>[0], { migrationsFolder });
  } else {
    await migratePglite(database.db as Parameters<typeof migratePglite>[0], { migrationsFolder });
  }
}

function openPostgres(url: string, max: number): Database {
  const onnotice = () => {};
  const drizzleClient = postgres(url, { max, onnotice });
  // drizzle replaces postgres.js's date/json parsers, so raw SQL and COPY get a client of their own.
  const raw = postgres(url, { max: Math.max(2, Math.ceil(max / 2)), onnotice });
  return {
    kind: 'postgres',
    db: drizzlePostgres(drizzleClient, { schema }) as unknown as Drizzle,
    query: async (text, params = []) =>
      (await raw.unsafe(text, params as postgres.ParameterOrJSON<never>[])) as never,
    copy: async (table, columns, rows) => {
      const stream = await raw
        .unsafe(`copy ${table} (${columns.map(quoteIdent).join(', ')}) from stdin with (format csv)`)
        .writable();
      let count = 0;
      const chunk: string[] = [];
      const flush = () =>
        new Promise<void>((resolve, reject) =>
          stream.write(chunk.splice(0).join(''), (error) => (error ? reject(error) : resolve())),
        );
      for (const row of rows) {
        chunk.push(csvLine(row));
        count++;
        if (chunk.length >= 5000) await flush();
      }
      if (chunk.length) await flush();
      await new Promise<void>((resolve, reject) => {
        stream.on('error', reject);
        stream.end(() => resolve());
      });
      await new Promise<void>((resolve, reject) => {
        stream.on('finish', resolve);
        stream.on('error', reject);
        if (stream.writableFinished) resolve();
      });
      return count;
    },
    transaction: (work) =>
      raw.begin((tx) =>
        work(async (text, params = []) => (await tx.unsafe(text, params as postgres.ParameterOrJSON<never>[])) as never),
      ) as Promise<never>,
    close: async () => {
      await Promise.all([drizzleClient.end(), raw.end()]);
    },
  };
}

async function openPglite(dataDir?: string): Promise<Database> {
  const pg = await PGlite.create(dataDir);
  return {
    kind: 'pglite',
    db: drizzlePglite(pg, { schema }) as unknown as Drizzle,
    query: async (text, params = []) => (await pg.query(text, params as unknown[])).rows as never,
    copy: async (table, columns, rows) => {
      const lines: string[] = [];
      for (const row of rows) lines.push(csvLine(row));
      if (!lines.length) return 0;
      await pg.query(
        `copy ${table} (${columns.map(quoteIdent).join(', ')}) from '/dev/blob' with (format csv)`,
        [],
        { blob: new Blob([lines.join('')]) },
      );
      return lines.length;
    },
    transaction: (work) =>
      pg.transaction((tx) => work(async (text, params = []) => (await tx.query(text, params as unknown[])).rows as never)),
    close: () => pg.close(),
  };
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function csvLine(row: readonly unknown[]): string {
  return row.map(csvField).join(',') + '\n';
}

function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text =
    value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\n\r]/.test(text) || text === '' ? `"${text.replaceAll('"', '""')}"` : text;
}
