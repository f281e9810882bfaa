import type { Kysely } from "kysely";

const COLUMNS = ["region", "color", "cluster_id"] as const;

/**
 * The fields Northflank documents for a project (issue 17: its client sends them): a region, a colour and a BYOC
 * cluster id, null on the projects that exist. One column per statement: SQLite alters one at a time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of COLUMNS) await db.schema.alterTable("projects").addColumn(column, "text").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of COLUMNS) await db.schema.alterTable("projects").dropColumn(column).execute();
}
