import { PostgresDialect, sql } from "kysely";
import pg from "pg";
import type { Dialect } from "./dialect.js";

/** PostgreSQL's ways: row locks, advisory locks and NOTIFY, all held or sent within the caller's transaction. */
export const POSTGRES: Dialect = {
  kind: "postgres",
  forUpdate: (query) => query.forUpdate(),
  forUpdateSkipLocked: (query) => query.forUpdate().skipLocked(),
  lockRow: async (ex, table, id) => {
    await ex.selectFrom(table).select("id").where("id", "=", id).forUpdate().execute();
  },
  advisoryLock: async (ex, name) => {
    await sql`select pg_advisory_xact_lock(hashtext(${name}))`.execute(ex);
  },
  notify: async (ex, channel, payload) => {
    await sql`select pg_notify(${channel}, ${payload})`.execute(ex);
  },
  bulkInsert: null,
  direct: null,
};

/** The shared dialect: a pool per process on one PostgreSQL. */
export function postgresDialect(url: string, max = 10): { dialect: PostgresDialect; pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000 });
  // A dropped idle connection must not crash the process; the pool replaces it.
  pool.on("error", () => undefined);
  return { dialect: new PostgresDialect({ pool }), pool };
}

/** PostgreSQL's unique_violation. */
export function isPostgresUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "23505";
}

/** PostgreSQL's foreign_key_violation. */
export function isPostgresForeignKeyViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "23503";
}
