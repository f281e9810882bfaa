import type { Kysely } from "kysely";

/**
 * Pending CLI logins (the /v1/cli-login WebSocket), kept by the hash of their one-time session token so that the
 * process holding the socket and the process that serves the approval can be different ones.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("cli_logins")
    .addColumn("id_hash", "text", (c) => c.primaryKey())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("context_name", "text")
    .addColumn("sealed_token", "text")
    .addColumn("message", "text")
    .execute();
  await db.schema.createIndex("cli_logins_expires").on("cli_logins").column("expires_at").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("cli_logins").execute();
}
