import type { Kysely } from "kysely";

/**
 * The chain check reads a token feed's segments in order from where it stopped (`last_seq > n`): without this index
 * each read scanned the feed's segments from the first, and a check of a long feed grew with its square.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex("audit_segments_feed_last").on("audit_segments").columns(["feed", "last_seq"]).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("audit_segments_feed_last").execute();
}
