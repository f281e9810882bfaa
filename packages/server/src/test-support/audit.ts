import type { AuditDraft } from "../audit/chain.js";
import { auditOf } from "../audit/repository.js";
import type { Client, Harness } from "./harness.js";

/** An audit event as the API shows it (the fields the tests read). */
export interface Event {
  id: string;
  eventType: string;
  actor: { type: string; id: string; email?: string; name?: string };
  tokenId?: string;
  outcome: string;
  status: number;
  method: string;
  path: string;
  resource: { type: string | null; id: string | null; name?: string };
  origin: string;
  details: { before?: unknown; after?: unknown; changes?: string[] };
}

/** One page of an audit feed. */
export const events = async (c: Client, url: string): Promise<Event[]> => (await c.ok<{ auditLogs: Event[] }>("GET", url)).auditLogs;

/**
 * Writes `total` request events of one token straight through the store, `perSegment` to a write batch (a segment
 * each), as the audit buffer would: a large feed in seconds, without making each request. `each` may change an event.
 */
export async function writeRequests(
  h: Harness,
  tokenId: string,
  total: number,
  options: { perSegment?: number; each?: (draft: AuditDraft, index: number) => void; beforeBatch?: (index: number) => void } = {},
): Promise<void> {
  const perSegment = options.perSegment ?? 500;
  const context = { ip: "10.0.0.9", userAgent: "load/1.0", origin: "api" as const, method: "GET", path: "/v1/projects" };
  for (let written = 0; written < total; written += perSegment) {
    options.beforeBatch?.(written);
    const drafts: AuditDraft[] = [];
    for (let i = written; i < Math.min(written + perSegment, total); i++) {
      const draft = h.services.audit.requestDraft({
        tokenId,
        entityType: "team",
        entityId: "acme",
        email: null,
        context,
        status: 200,
        durationMs: 1,
        resource: { type: "projects", id: null },
      });
      options.each?.(draft, i);
      drafts.push(draft);
    }
    await h.services.store.transaction((tx) => auditOf(tx).append(drafts));
  }
}
