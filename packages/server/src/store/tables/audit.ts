// Row types of the audit log: events, token feeds' segments, each feed's head, deleted entities' tombstones
// (store/schema.ts maps tables to them).
import type { EntityType } from "./entities.js";

export interface AuditEventsTable {
  id: string;
  /** The chain the event belongs to: `team:<id>`, `org:<id>` or `token:<id>`. */
  feed: string;
  seq: number;
  entity_type: EntityType;
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

/**
 * The events of a token's feed (its requests), a write batch to a row: see audit/segments.ts. `prev_hash` is the
 * chain's hash before the first event; `min_at`/`max_at` bound the events' times, so that lists skip whole segments.
 */
export interface AuditSegmentsTable {
  feed: string;
  first_seq: number;
  last_seq: number;
  entity_type: EntityType;
  entity_id: string;
  min_at: string;
  max_at: string;
  prev_hash: string;
  last_hash: string;
  /** JSON: one array per event, in seq order. */
  events: string;
}

export interface AuditFeedHeadsTable {
  feed: string;
  seq: number;
  hash: string;
  anchor_seq: number;
  anchor_hash: string;
}

export interface TombstonesTable {
  entity_type: EntityType;
  entity_id: string;
  deleted_at: string;
}
