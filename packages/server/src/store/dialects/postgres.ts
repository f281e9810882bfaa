import { PostgresDialect } from "kysely";
import pg from "pg";

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
