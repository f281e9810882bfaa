import { Readable } from "node:stream";
import { AuditEvent, AuditQuery, AuditVerification } from "@latchkey/core";
import type { FastifyReply } from "fastify";
import type { Services } from "../../services/app-services.js";
import type { RateDecision } from "../../store/rate-counter.js";
import { SENT, type Router } from "../route.js";
import { entityParams, OpaqueId } from "./params.js";

type Query = ReturnType<typeof AuditQuery.parse>;

const filterOf = (q: Query) => ({
  ...(q.after ? { after: q.after } : {}),
  ...(q.before ? { before: q.before } : {}),
  ...(q.eventType ? { eventType: q.eventType } : {}),
  ...(q.actor ? { actor: q.actor } : {}),
  ...(q.tokenId ? { tokenId: q.tokenId } : {}),
  ...(q.outcome ? { outcome: q.outcome } : {}),
  ...(q.origin ? { origin: q.origin } : {}),
  ...(q.resourceType ? { resourceType: q.resourceType } : {}),
  ...(q.resourceId ? { resourceId: q.resourceId } : {}),
});

/**
 * The `x-ratelimit-*` headers of the expensive reads' own limit (services/audit-reads.ts). A token's hourly limit
 * has set them already for token requests: they stay, unless this limit is the one that refuses.
 */
const rateHeaders = (reply: FastifyReply) => (decision: RateDecision) => {
  if (decision.allowed && reply.hasHeader("x-ratelimit-limit")) return;
  void reply.header("x-ratelimit-limit", decision.limit);
  void reply.header("x-ratelimit-remaining", decision.remaining);
  void reply.header("x-ratelimit-reset", Math.ceil(decision.resetMs / 1000));
};

/** Audit feeds of teams, organisations and tokens: pages, JSON lines for a SIEM, and the chain check. */
export function auditRoutes(router: Router, { audit }: Services): void {
  const prefixes = [
    { base: "/v1/teams/:teamId", key: "teamId" as const, type: "team" as const },
    { base: "/v1/orgs/:orgId", key: "orgId" as const, type: "org" as const },
    { base: "/v1", key: "teamId" as const, type: undefined },
  ];
  const tags = ["audit"];
  for (const { base, key, type } of prefixes) {
    const permission = type ? (`${type}.audit.read` as const) : (["team.audit.read", "org.audit.read"] as const);
    for (const feed of ["entity", "token"] as const) {
      const url = feed === "entity" ? `${base}/audit-logs` : `${base}/tokens/:tokenId/audit-logs`;
      const Params = feed === "entity" ? entityParams(key, {}) : entityParams(key, { tokenId: OpaqueId });
      const what = feed === "entity" ? "the team's or organisation's feed" : "one token's feed (its requests and the changes made to it)";
      router.add({
        method: "GET",
        url,
        summary: `Read ${what}, newest first; format=jsonl streams every matching event`,
        tags,
        permission,
        params: Params,
        query: AuditQuery,
        reply: AuditEvent,
        list: "auditLogs",
        handler: async ({ principal, entity, params, query, reply }) => {
          const tokenId = feed === "token" ? String(params["tokenId"]) : undefined;
          if (query.format === "jsonl") {
            const lines = audit.export(principal, entity, filterOf(query), tokenId, rateHeaders(reply));
            // Pull the first lines before answering, so that a 403 or 404 is still a proper error reply.
            const first = await lines.next();
            const rest = async function* () {
              if (!first.done) yield first.value;
              yield* lines;
            };
            void reply.type("application/x-ndjson").send(Readable.from(rest()));
            return SENT;
          }
          return audit.list(entity, filterOf(query), { perPage: query.perPage, cursor: query.cursor }, tokenId);
        },
      });
      router.add({
        method: "GET",
        url: `${url}/verify`,
        summary: `Recompute the hash chain of ${what}: ok, how many events were checked, the first broken one`,
        tags,
        permission,
        params: Params,
        reply: AuditVerification,
        handler: ({ principal, entity, params, reply }) => {
          return audit.verify(principal, entity, feed === "token" ? String(params["tokenId"]) : undefined, rateHeaders(reply));
        },
      });
    }
  }
}
