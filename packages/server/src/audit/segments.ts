import type { AuditEventsTable, AuditSegmentsTable } from "../store/schema.js";
import { hashRequest, requestPlace, requestText, type AuditDraft } from "./chain.js";

/**
 * A token's feed (`token:<id>`: the requests made with it) is stored as segments: the consecutive events of one
 * write batch in one row, each event a JSON array of the fields that vary, the rest said once per segment. One row per
 * feed per batch instead of one row (and its index entries) per request: storing a request event costs a third of
 * what a row of its own did. Expanded, a segment gives back the very rows that were hashed, so the chain verifies
 * as before and an edit of any stored byte breaks it.
 */

/** What varies from one event of a segment to the next, in this order. */
type Packed = [
  id: string,
  at: string,
  eventType: string,
  actorEmail: string | null,
  origin: AuditEventsTable["origin"],
  outcome: AuditEventsTable["outcome"],
  status: number,
  method: string,
  path: string,
  resourceType: string | null,
  resourceId: string | null,
  ip: string,
  userAgent: string,
  durationMs: number | null,
  details: string,
  hash: string,
];

const TOKEN_FEED = "token:";

/** True for the feeds kept as segments. */
export const isSegmentFeed = (feed: string): boolean => feed.startsWith(TOKEN_FEED);

/**
 * Segments of chained rows of one token feed, in seq order; a new segment wherever the entity changes (it never
 * does for one token, but a segment says its entity once). Every row must be the token's own request: its actor.
 * `texts[i]` is `requestText(rows[i])`: an event is stored as that JSON with its hash added at the end.
 */
function segmentsOf(rows: readonly AuditEventsTable[], texts: readonly string[]): AuditSegmentsTable[] {
  const segments: { segment: AuditSegmentsTable; events: string[] }[] = [];
  let current: (typeof segments)[number] | undefined;
  rows.forEach((r, i) => {
    const tokenId = r.feed.slice(TOKEN_FEED.length);
    if (!isSegmentFeed(r.feed) || r.token_id !== tokenId || r.actor_id !== tokenId || r.actor_type !== "apiToken")
      throw new Error(`audit: event ${r.id} of feed ${r.feed} is not a request of that token`);
    const s = current?.segment;
    if (!current || !s || s.feed !== r.feed || s.entity_type !== r.entity_type || s.entity_id !== r.entity_id || r.seq !== s.last_seq + 1) {
      const { feed, seq, entity_type, entity_id, at, prev_hash, hash } = r;
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
    // A hash is hex or base64url: nothing in it needs escaping in JSON.
    current.events.push(`${(texts[i] ?? "").slice(0, -1)},"${r.hash}"]`);
  });
  return segments.map(({ segment, events }) => ({ ...segment, events: `[${events.join(",")}]` }));
}

/** Segments of rows already chained (the events migration 007 moved, with the hashes they had). */
export function toSegments(rows: readonly AuditEventsTable[]): AuditSegmentsTable[] {
  return segmentsOf(rows, rows.map(requestText));
}

/**
 * Places a token feed's drafts after (seq, hash) and returns them as segments, with the new head: each event is
 * serialized once, for its hash and for its segment. The drafts get their seq, prev_hash and hash.
 */
export function chainSegments(
  drafts: AuditDraft[],
  head: { seq: number; hash: string },
): { segments: AuditSegmentsTable[]; head: { seq: number; hash: string } } {
  let { seq, hash } = head;
  const texts: string[] = new Array<string>(drafts.length);
  let place = "";
  let placeOf: AuditDraft | undefined;
  drafts.forEach((row, i) => {
    // One feed's drafts share their place: serialized again only where it differs from the draft it was made for.
    if (!placeOf || placeOf.feed !== row.feed || placeOf.entity_type !== row.entity_type || placeOf.entity_id !== row.entity_id) {
      place = requestPlace(row);
      placeOf = row;
    }
    seq += 1;
    row.seq = seq;
    row.prev_hash = hash;
    const text = requestText(row);
    hash = hashRequest(hash, seq, place, text);
    row.hash = hash;
    texts[i] = text;
  });
  return { segments: segmentsOf(drafts, texts), head: { seq, hash } };
}

/** The rows of a segment, in seq order, each with its prev_hash (the hash of the one before it). */
export function expandSegment(segment: AuditSegmentsTable): AuditEventsTable[] {
  const tokenId = segment.feed.slice(TOKEN_FEED.length);
  const packed = JSON.parse(segment.events) as Packed[];
  const rows: AuditEventsTable[] = new Array<AuditEventsTable>(packed.length);
  let prev = segment.prev_hash;
  for (let i = 0; i < packed.length; i++) {
    const [
      id,
      at,
      eventType,
      actorEmail,
      origin,
      outcome,
      status,
      method,
      path,
      resourceType,
      resourceId,
      ip,
      userAgent,
      durationMs,
      details,
      hash,
    ] = packed[i] as Packed;
    rows[i] = {
      id,
      feed: segment.feed,
      seq: Number(segment.first_seq) + i,
      entity_type: segment.entity_type,
      entity_id: segment.entity_id,
      at,
      event_type: eventType,
      actor_type: "apiToken",
      actor_id: tokenId,
      actor_email: actorEmail,
      token_id: tokenId,
      origin,
      outcome,
      status,
      method,
      path,
      resource_type: resourceType,
      resource_id: resourceId,
      ip,
      user_agent: userAgent,
      duration_ms: durationMs,
      details,
      prev_hash: prev,
      hash,
    };
    prev = hash;
  }
  return rows;
}
