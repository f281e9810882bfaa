import type { Kysely } from "kysely";

/**
 * Two facts about a token: the addresses it may be used from (`allowed_ips`, a JSON array of CIDRs; empty: any), and
 * when the person who created it left the team or organisation (`creator_left_at`; null: still there), so that lists
 * can flag it for an admin to keep or revoke.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("api_tokens")
    .addColumn("allowed_ips", "text", (c) => c.notNull().defaultTo("[]"))
    .execute();
  await db.schema.alterTable("api_tokens").addColumn("creator_left_at", "text").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("api_tokens").dropColumn("creator_left_at").execute();
  await db.schema.alterTable("api_tokens").dropColumn("allowed_ips").execute();
}
