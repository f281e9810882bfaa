import type { Kysely } from "kysely";

/**
 * Rate limits: a team's or organisation's own limit for its tokens (null: the server's default), and the counters
 * every process adds its requests to, one row per key and window.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ["teams", "orgs"]) {
    await db.schema.alterTable(table).addColumn("rate_limit_per_hour", "integer").execute();
  }
  await db.schema
    .createTable("rate_limits")
    .addColumn("key", "text", (c) => c.notNull())
    // The window's start in minutes since the epoch (an integer until the year 6053), whatever its length.
    .addColumn("window_minute", "integer", (c) => c.notNull())
    .addColumn("count", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("rate_limits_pk", ["key", "window_minute"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("rate_limits").execute();
  for (const table of ["teams", "orgs"]) await db.schema.alterTable(table).dropColumn("rate_limit_per_hour").execute();
}
