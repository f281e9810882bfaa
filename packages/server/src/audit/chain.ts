import { hash as digest } from "node:crypto";
import type { AuditEventsTable } from "../store/schema.js";

/** An event before it takes its place in a feed's chain. */
export type AuditDraft = Omit<AuditEventsTable, "seq" | "prev_hash" | "hash">;

// Every stored field but the hash itself, in a fixed order: editing any of them breaks the chain.
const FIELDS = [
  "id",
  "feed",
  "seq",
  "entity_type",
  "entity_id",
  "at",
  "event_type",
  "actor_type",
  "actor_id",
  "actor_email",
  "token_id",
  "origin",
  "outcome",
  "status",
  "method",
  "path",
  "resource_type",
  "resource_id",
  "ip",
  "user_agent",
  "duration_ms",
  "details",
  "prev_hash",
] as const satisfies readonly (keyof AuditEventsTable)[];

/** The hash that chains an event to the one before it in its feed. */
export function hashEvent(event: Omit<AuditEventsTable, "hash">): string {
  const values: unknown[] = new Array(FIELDS.length);
  for (let i = 0; i < FIELDS.length; i++) values[i] = event[FIELDS[i] as (typeof FIELDS)[number]] ?? null;
  return digest("sha256", JSON.stringify(values), "hex");
}

/**
 * Places drafts after (seq, hash) in one feed; returns the rows to store and the new head. Each row is built whole,
 * every column present in one order (a draft that crossed a thread as JSON has lost its undefined fields).
 */
export function chain(
  drafts: AuditDraft[],
  head: { seq: number; hash: string },
): { rows: AuditEventsTable[]; head: { seq: number; hash: string } } {
  let { seq, hash } = head;
  const rows = drafts.map((d) => {
    seq += 1;
    const row: AuditEventsTable = {
      id: d.id,
      feed: d.feed,
      seq,
      entity_type: d.entity_type,
      entity_id: d.entity_id,
      at: d.at,
      event_type: d.event_type,
      actor_type: d.actor_type,
      actor_id: d.actor_id,
      actor_email: d.actor_email ?? null,
      token_id: d.token_id ?? null,
      origin: d.origin,
      outcome: d.outcome,
      status: d.status,
      method: d.method,
      path: d.path,
      resource_type: d.resource_type ?? null,
      resource_id: d.resource_id ?? null,
      ip: d.ip,
      user_agent: d.user_agent,
      duration_ms: d.duration_ms ?? null,
      details: d.details,
      prev_hash: hash,
      hash: "",
    };
    hash = hashEvent(row);
    row.hash = hash;
    return row;
  });
  return { rows, head: { seq, hash } };
}
