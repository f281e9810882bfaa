import type { Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("audit_events")
    // Identity is (feed, seq); `id` is a sortable handle for people. No separate key on it: one index fewer per
    // insert on the hottest write path.
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("feed", "text", (c) => c.notNull())
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("entity_type", "text", (c) => c.notNull())
    .addColumn("entity_id", "text", (c) => c.notNull())
    .addColumn("at", "text", (c) => c.notNull())
    .addColumn("event_type", "text", (c) => c.notNull())
    .addColumn("actor_type", "text", (c) => c.notNull())
    .addColumn("actor_id", "text", (c) => c.notNull())
    .addColumn("actor_email", "text")
    .addColumn("token_id", "text")
    .addColumn("origin", "text", (c) => c.notNull())
    .addColumn("outcome", "text", (c) => c.notNull())
    .addColumn("status", "integer", (c) => c.notNull())
    .addColumn("method", "text", (c) => c.notNull())
    .addColumn("path", "text", (c) => c.notNull())
    .addColumn("resource_type", "text")
    .addColumn("resource_id", "text")
    .addColumn("ip", "text", (c) => c.notNull())
    .addColumn("user_agent", "text", (c) => c.notNull())
    .addColumn("duration_ms", "integer")
    .addColumn("details", "text", (c) => c.notNull())
    .addColumn("prev_hash", "text", (c) => c.notNull())
    .addColumn("hash", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("audit_events_pk", ["feed", "seq"])
    .execute();
  await db.schema.createIndex("audit_events_entity_at").on("audit_events").columns(["entity_type", "entity_id", "at"]).execute();
  // No index on token_id: a token's own feed is read by (feed, seq), and filtering a team feed by token rides on the
  // entity index. Every index costs each request's event a write.
  await db.schema
    .createTable("audit_feed_heads")
    .addColumn("feed", "text", (c) => c.primaryKey())
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("hash", "text", (c) => c.notNull())
    /** Where the stored chain starts after pruning: the seq and hash of the last pruned event. */
    .addColumn("anchor_seq", "integer", (c) => c.notNull())
    .addColumn("anchor_hash", "text", (c) => c.notNull())
    .execute();
  // The ids of deleted teams and organisations are never given out again: their tokens and audit history stay
  // with the id, and a newcomer under the same id must not see them.
  await db.schema
    .createTable("tombstones")
    .addColumn("entity_type", "text", (c) => c.notNull())
    .addColumn("entity_id", "text", (c) => c.notNull())
    .addColumn("deleted_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("tombstones_pk", ["entity_type", "entity_id"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ["tombstones", "audit_feed_heads", "audit_events"]) await db.schema.dropTable(t).execute();
}
