import { hash as digest } from "node:crypto";
import type { AuditEventsTable } from "../store/schema.js";

/**
 * An event before it takes its place in a feed's chain: a whole row whose seq, prev_hash and hash chain() sets
 * (made with placeholders, 0 and "", so that the object has its final shape from the start).
 */
export type AuditDraft = AuditEventsTable;

/**
 * The hash that chains an event to the one before it in its feed: SHA-256 of every stored field but the hash itself,
 * in a fixed order (editing any of them breaks the chain). Read field by field rather than through a list of names:
 * this runs once per request, and a literal array of plain property reads is several times cheaper than keyed ones.
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
 * Places drafts after (seq, hash) in one feed; returns the rows to store and the new head. The drafts become the
 * rows (no copy per event): each gets its seq, prev_hash and hash.
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
