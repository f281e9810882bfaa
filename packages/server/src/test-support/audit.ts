import type { Client } from "./harness.js";

/** An audit event as the API shows it (the fields the tests read). */
export interface Event {
  id: string;
  eventType: string;
  actor: { type: string; id: string; email?: string };
  tokenId?: string;
  outcome: string;
  status: number;
  method: string;
  path: string;
  resource: { type: string | null; id: string | null };
  origin: string;
  details: { before?: unknown; after?: unknown };
}

/** One page of an audit feed. */
export const events = async (c: Client, url: string): Promise<Event[]> => (await c.ok<{ auditLogs: Event[] }>("GET", url)).auditLogs;
