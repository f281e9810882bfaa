import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SQLite from "better-sqlite3";
import { SqliteDialect } from "kysely";

/** The embedded dialect: one file, WAL, foreign keys on, writers wait instead of failing. */
export function sqliteDialect(path: string): SqliteDialect {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const database = new SQLite(path);
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  database.pragma("foreign_keys = ON");
  database.pragma("busy_timeout = 5000");
  // Kysely prepares every query anew, and SQLite's prepare costs more than running these small queries: reuse them.
  const statements = new Map<string, SQLite.Statement>();
  const prepare = (sql: string): SQLite.Statement => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = database.prepare(sql);
      if (statements.size >= 500) statements.delete(statements.keys().next().value ?? "");
      statements.set(sql, statement);
    }
    return statement;
  };
  return new SqliteDialect({ database: { prepare, close: () => database.close() } });
}

/** SQLite's unique and primary key violations. */
export function isSqliteUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

/** SQLite's foreign key violations. */
export function isSqliteForeignKeyViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "SQLITE_CONSTRAINT_FOREIGNKEY";
}
