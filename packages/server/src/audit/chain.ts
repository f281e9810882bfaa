import { hash as digest } from "node:crypto";
import type { AuditEventsTable } from "../store/schema.js";

/**
 * An event before it takes its place in a feed's chain: a whole row whose seq, prev_hash and hash chain() sets
 * (made with placeholders, 0 and "", so that the object has its final shape from the start).
 */
export type AuditDraft = AuditEventsTable;

/**
 * The hash that chains an event to the one before it in its feed: SHA-256 of every stored field but the hash itself,
 * in a fixed order (editing any of them breaks the chain), in hex. Change events are hashed so, and so were request
 * events before `hashRequest`. Read field by field: a literal array of plain property reads is several times cheaper
 * than keyed ones.
 */
export function hashEvent(e: Omit<AuditEventsTable, "hash">): string {
  const fields = [
    e.id,
    e.feed,
    e.seq,
    e.entity_type,
    e.entity_id,
    e.at,
    e.event_type,
    e.actor_type,
    e.actor_id,
    e.actor_email ?? null,
    e.token_id ?? null,
    e.origin,
    e.outcome,
    e.status,
    e.method,
    e.path,
    e.resource_type ?? null,
    e.resource_id ?? null,
    e.ip,
    e.user_agent,
    e.duration_ms ?? null,
    e.details,
    e.prev_hash,
  ];
  return digest("sha256", JSON.stringify(fields), "hex");
}

/**
 * A request event of a token feed (stored in a segment) is hashed from the JSON its segment stores, so that its fields
 * are serialized once: SHA-256 of the previous hash, its seq, its place (feed, entity and actor, the same for a whole
 * segment) and its own fields, in base64url. Its 43 characters tell it from the 64 hex characters of `hashEvent`,
 * which change events and request events stored before this form keep.
 */
export function hashRequest(prevHash: string, seq: number, place: string, text: string): string {
  return digest("sha256", `${prevHash}\n${seq}\n${place}\n${text}`, "base64url");
}

/** What every request event of one token feed shares: said once per segment, hashed with each event. */
export function requestPlace(e: Omit<AuditEventsTable, "hash">): string {
  return JSON.stringify([e.feed, e.entity_type, e.entity_id, e.actor_type, e.actor_id, e.token_id ?? null]);
}

/**
 * The fields of a request event that vary, as its segment stores them (without the hash, which comes last). Listed in
 * full, not shared with `hashEvent`'s list: each is a stored format, frozen on its own.
 */
export function requestText(e: Omit<AuditEventsTable, "hash">): string {
  return JSON.stringify([
    e.id,
    e.at,
    e.event_type,
    e.actor_email ?? null,
    e.origin,
    e.outcome,
    e.status,
    e.method,
    e.path,
    e.resource_type ?? null,
    e.resource_id ?? null,
    e.ip,
    e.user_agent,
    e.duration_ms ?? null,
    e.details,
  ]);
}

/** The hash a stored event must have, in the form its stored hash says it was made with. */
export function expectedHash(row: AuditEventsTable): string {
  const { hash, ...rest } = row;
  return hash.length === 64 ? hashEvent(rest) : hashRequest(row.prev_hash, row.seq, requestPlace(rest), requestText(rest));
}

/**
 * Places drafts after (seq, hash) in one feed (a change feed: a row per event); returns the rows to store and the
 * new head. The drafts become the rows (no copy per event): each gets its seq, prev_hash and hash.
 */
export function chain(
  drafts: AuditDraft[],
  head: { seq: number; hash: string },
): { rows: AuditEventsTable[]; head: { seq: number; hash: string } } {
  let { seq, hash } = head;
  for (const row of drafts) {
    seq += 1;
    row.seq = seq;
    row.prev_hash = hash;
    hash = hashEvent(row);
    row.hash = hash;
  }
  return { rows: drafts, head: { seq, hash } };
}
