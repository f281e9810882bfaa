import type { Kysely } from "kysely";

/**
 * The pairing code a CLI login shows in its terminal (issue 21.4), kept with the pending login so that the approval
 * page, on any process, shows the same code for the person to compare. Null: the client showed none (Northflank's
 * protocol sends no code).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("cli_logins").addColumn("pairing_code", "text").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("cli_logins").dropColumn("pairing_code").execute();
}
