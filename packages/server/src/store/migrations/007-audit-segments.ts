import type { Kysely } from "kysely";
import { expandSegment, toSegments } from "../../audit/segments.js";
import type { Database } from "../schema.js";

const MOVE_CHUNK = 500;

/**
 * Token feeds (request events) move from a row per event to a row per write batch (audit/segments.ts): the events
 * already stored move too, in segments of up to 500, with their hashes unchanged.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("audit_segments")
    .addColumn("feed", "text", (c) => c.notNull())
    .addColumn("first_seq", "integer", (c) => c.notNull())
    .addColumn("last_seq", "integer", (c) => c.notNull())
    .addColumn("entity_type", "text", (c) => c.notNull())
    .addColumn("entity_id", "text", (c) => c.notNull())
    .addColumn("min_at", "text", (c) => c.notNull())
    .addColumn("max_at", "text", (c) => c.notNull())
    .addColumn("prev_hash", "text", (c) => c.notNull())
    .addColumn("last_hash", "text", (c) => c.notNull())
    .addColumn("events", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("audit_segments_pk", ["feed", "first_seq"])
    .execute();
  // Lists are newest first: a team's or organisation's segments, and one token's.
  await db.schema.createIndex("audit_segments_entity_at").on("audit_segments").columns(["entity_type", "entity_id", "max_at"]).execute();
  await db.schema.createIndex("audit_segments_feed_at").on("audit_segments").columns(["feed", "max_at"]).execute();

  const typed = db as unknown as Kysely<Database>;
  const feeds = await typed.selectFrom("audit_events").select("feed").distinct().where("feed", "like", "token:%").execute();
  for (const { feed } of feeds) {
    let afterSeq = -1;
    for (;;) {
      const rows = await typed
        .selectFrom("audit_events")
        .selectAll()
        .where("feed", "=", feed)
        .where("seq", ">", afterSeq)
        .orderBy("seq")
        .limit(MOVE_CHUNK)
        .execute();
      const last = rows[rows.length - 1];
      if (!last) break;
      for (const segment of toSegments(rows.map((r) => ({ ...r, seq: Number(r.seq), status: Number(r.status) }))))
        await typed.insertInto("audit_segments").values(segment).execute();
      afterSeq = Number(last.seq);
    }
    await typed.deleteFrom("audit_events").where("feed", "=", feed).execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const typed = db as unknown as Kysely<Database>;
  for (;;) {
    const segments = await typed.selectFrom("audit_segments").selectAll().orderBy("feed").orderBy("first_seq").limit(MOVE_CHUNK).execute();
    if (segments.length === 0) break;
    for (const segment of segments) {
      await typed.insertInto("audit_events").values(expandSegment(segment)).execute();
      await typed.deleteFrom("audit_segments").where("feed", "=", segment.feed).where("first_seq", "=", segment.first_seq).execute();
    }
  }
  await db.schema.dropTable("audit_segments").execute();
}
