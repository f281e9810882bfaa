import type { Kysely } from "kysely";

/**
 * Invitations that can be listed and revoked, and that prove an address: `confirm_hash` is the hash of the secret
 * sent to the invited address (the only way to create an account for it), `confirm_sent_at` when it was last sent,
 * `revoked_at` when a person (or a change of the inviter's rights) ended it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("invitations").addColumn("revoked_at", "text").execute();
  await db.schema.alterTable("invitations").addColumn("confirm_hash", "text").execute();
  await db.schema.alterTable("invitations").addColumn("confirm_sent_at", "text").execute();
  await db.schema.createIndex("invitations_confirm").unique().on("invitations").column("confirm_hash").execute();
  await db.schema.createIndex("invitations_entity").on("invitations").columns(["entity_type", "entity_id", "id"]).execute();
  await db.schema.createIndex("invitations_inviter").on("invitations").column("invited_by").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("invitations_inviter").execute();
  await db.schema.dropIndex("invitations_entity").execute();
  await db.schema.dropIndex("invitations_confirm").execute();
  for (const column of ["confirm_sent_at", "confirm_hash", "revoked_at"]) {
    await db.schema.alterTable("invitations").dropColumn(column).execute();
  }
}
