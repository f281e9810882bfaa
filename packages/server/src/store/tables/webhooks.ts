// Row types of webhook endpoints, their outbox and the delivery log (store/schema.ts maps tables to them).
import type { EntityType } from "./entities.js";

/** A webhook endpoint of a team or organisation; `secret` is the Standard Webhooks key sealed with the master key. */
export interface WebhooksTable {
  id: string;
  entity_type: EntityType;
  entity_id: string;
  url: string;
  /** JSON: the event types it receives. */
  events: string;
  description: string;
  secret: string;
  /** 1 or 0. */
  enabled: number;
  created_at: string;
  updated_at: string;
}

/** The outbox: one message to one webhook, written in the transaction of the change it announces. */
export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  event_type: string;
  /** The JSON body sent: `{type, timestamp, data}`. */
  payload: string;
  /** Unique when set: one-time events (`token.expiring` per threshold) are enqueued once across processes. */
  dedupe_key: string | null;
  attempt: number;
  /** When it is next due; a claimed message's is pushed on by a lease, so a crashed sender's message comes back. */
  next_attempt_at: string | null;
  status: "pending" | "delivered" | "failed";
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

/** The delivery log: every attempt and its outcome. */
export interface WebhookAttemptsTable {
  delivery_id: string;
  attempt: number;
  at: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}
