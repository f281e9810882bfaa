import type { Kysely } from "kysely";

const MOVE_CHUNK = 500;

/**
 * Token feeds (request events) move from a row per event to a row per write batch (audit/segments.ts): the events
 * already stored move too, in segments of up to 500, with their hashes unchanged. A migration is history: the rows
 * and the segment format are frozen below as they were in this version, not imported from the code that moves on.
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

  const typed = db as unknown as Kysely<Frozen>;
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
      for (const segment of toSegments(
        rows.map((r) => ({ ...r, seq: Number(r.seq), status: Number(r.status) })),
        feed,
      ))
        await typed.insertInto("audit_segments").values(segment).execute();
      afterSeq = Number(last.seq);
    }
    await typed.deleteFrom("audit_events").where("feed", "=", feed).execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const typed = db as unknown as Kysely<Frozen>;
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

// ---- Frozen at version 007: the tables as they were, and the segment format of audit/segments.ts then. ----

interface EventRow {
  id: string;
  feed: string;
  seq: number;
  entity_type: "team" | "org";
  entity_id: string;
  at: string;
  event_type: string;
  actor_type: "user" | "apiToken" | "anonymous";
  actor_id: string;
  actor_email: string | null;
  token_id: string | null;
  origin: "api" | "ui" | "cli";
  outcome: "allowed" | "denied" | "failed";
  status: number;
  method: string;
  path: string;
  resource_type: string | null;
  resource_id: string | null;
  ip: string;
  user_agent: string;
  duration_ms: number | null;
  details: string;
  prev_hash: string;
  hash: string;
}

interface SegmentRow {
  feed: string;
  first_seq: number;
  last_seq: number;
  entity_type: "team" | "org";
  entity_id: string;
  min_at: string;
  max_at: string;
  prev_hash: string;
  last_hash: string;
  events: string;
}

interface Frozen {
  audit_events: EventRow;
  audit_segments: SegmentRow;
}

/** An event as its segment stores it: the fields that vary, in this order, its hash last. */
type Packed = [
  EventRow["id"],
  EventRow["at"],
  EventRow["event_type"],
  EventRow["actor_email"],
  EventRow["origin"],
  EventRow["outcome"],
  EventRow["status"],
  EventRow["method"],
  EventRow["path"],
  EventRow["resource_type"],
  EventRow["resource_id"],
  EventRow["ip"],
  EventRow["user_agent"],
  EventRow["duration_ms"],
  EventRow["details"],
  EventRow["hash"],
];

const packed = (r: EventRow): Packed => [
  r.id,
  r.at,
  r.event_type,
  r.actor_email ?? null,
  r.origin,
  r.outcome,
  r.status,
  r.method,
  r.path,
  r.resource_type ?? null,
  r.resource_id ?? null,
  r.ip,
  r.user_agent,
  r.duration_ms ?? null,
  r.details,
  r.hash,
];

/** The chained rows of one token feed, in seq order, as segments: a new one wherever the entity or the seq breaks. */
function toSegments(rows: readonly EventRow[], feed: string): SegmentRow[] {
  const tokenId = feed.slice("token:".length);
  const segments: { segment: SegmentRow; events: Packed[] }[] = [];
  let current: (typeof segments)[number] | undefined;
  for (const r of rows) {
    if (r.token_id !== tokenId || r.actor_id !== tokenId || r.actor_type !== "apiToken")
      throw new Error(`audit: event ${r.id} of feed ${r.feed} is not a request of that token`);
    const s = current?.segment;
    if (!current || !s || s.entity_type !== r.entity_type || s.entity_id !== r.entity_id || r.seq !== s.last_seq + 1) {
      const { seq, entity_type, entity_id, at, prev_hash, hash } = r;
      current = {
        segment: {
          feed,
          first_seq: seq,
          last_seq: seq,
          entity_type,
          entity_id,
          min_at: at,
          max_at: at,
          prev_hash,
          last_hash: hash,
          events: "",
        },
        events: [],
      };
      segments.push(current);
    }
    const seg = current.segment;
    seg.last_seq = r.seq;
    seg.last_hash = r.hash;
    if (r.at < seg.min_at) seg.min_at = r.at;
    if (r.at > seg.max_at) seg.max_at = r.at;
    current.events.push(packed(r));
  }
  return segments.map(({ segment, events }) => ({ ...segment, events: JSON.stringify(events) }));
}

/** The rows of a segment, in seq order, each with its prev_hash. */
function expandSegment(segment: SegmentRow): EventRow[] {
  const tokenId = segment.feed.slice("token:".length);
  let prev = segment.prev_hash;
  return (JSON.parse(segment.events) as Packed[]).map((p, i) => {
    const [id, at, event_type, actor_email, origin, outcome, status, method, path, resource_type, resource_id, ip, user_agent] = p;
    const [duration_ms, details, hash] = [p[13], p[14], p[15]];
    const row: EventRow = {
      ...{ id, feed: segment.feed, seq: Number(segment.first_seq) + i, entity_type: segment.entity_type, entity_id: segment.entity_id },
      ...{ at, event_type, actor_type: "apiToken", actor_id: tokenId, actor_email, token_id: tokenId, origin, outcome, status },
      ...{ method, path, resource_type, resource_id, ip, user_agent, duration_ms, details, prev_hash: prev, hash },
    };
    prev = hash;
    return row;
  });
}
