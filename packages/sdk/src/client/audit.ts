import type { AuditEvent, AuditFilters, AuditVerification, Entity } from "../types.js";
import { enc, entityPath } from "./entity-path.js";
import type { PageOptions, Transport } from "./transport.js";

/** `LatchkeyClient.audit`: the audit feed of a team or organisation, or of one of its tokens. */
export function createAuditApi(t: Transport, entity: Entity) {
  const base = entityPath(entity);
  const feed = (tokenId?: string) => (tokenId ? `${base}/tokens/${enc(tokenId)}/audit-logs` : `${base}/audit-logs`);
  return {
    list: (filters: AuditFilters & PageOptions = {}, tokenId?: string) => t.page<AuditEvent>(feed(tokenId), "auditLogs", filters),
    /** Events newest first, page after page, up to `limit`. */
    all: (filters: AuditFilters = {}, limit?: number, tokenId?: string) => t.all<AuditEvent>(feed(tokenId), "auditLogs", filters, limit),
    verify: (tokenId?: string) => t.request<AuditVerification>("GET", `${feed(tokenId)}/verify`),
  };
}

/** What `LatchkeyClient.audit()` returns. */
export type AuditApi = ReturnType<typeof createAuditApi>;
