import { DomainError } from "@latchkey/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AuditService } from "./service.js";
import type { Principal } from "../access/principal.js";
import { TokenRefusal } from "../access/refusal.js";
import { requestContext, type RequestContext } from "../access/request-context.js";

/** What a route pattern says of its resource: its type, and the path parameter that holds its id. */
export interface ResourcePattern {
  type: string | null;
  param: string | null;
}

interface TokenRequest {
  token: { id: string; entityType: "team" | "org"; entityId: string; email: string | null; keyId?: string | undefined };
  /** False for a refused credential: it holds no place in the buffer. */
  reserved: boolean;
  resource: ResourcePattern;
  context?: RequestContext | undefined;
  /** A door that checks tokens for other services names its event and what was asked (default: `request`, `{}`). */
  event?: { type: `auth.${string}`; details: string } | undefined;
}

declare module "fastify" {
  interface FastifyRequest {
    latchkeyAudit: TokenRequest | null;
  }
}

/** Read once per route when it is registered: `/v1/teams/:teamId/projects/:projectId` -> projects, projectId. */
export function resourcePattern(url: string): ResourcePattern {
  const parts = url.split("/").filter(Boolean);
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i] ?? "";
    if (part.startsWith(":")) continue;
    const next = parts[i + 1];
    return { type: part, param: next?.startsWith(":") ? next.slice(1) : null };
  }
  return { type: null, param: null };
}

/** The event of a token request, as its reply stands (status, time so far). */
function draftOf(audit: AuditService, request: FastifyRequest, reply: FastifyReply, mark: TokenRequest) {
  const context = mark.context ?? requestContext(request);
  // A request that changed something names the feeds its change events went to (never for a failed one: its
  // transaction did not commit).
  const changed = reply.statusCode < 400 ? context.changes : undefined;
  return audit.requestDraft({
    tokenId: mark.token.id,
    entityType: mark.token.entityType,
    entityId: mark.token.entityId,
    email: mark.token.email,
    context,
    status: reply.statusCode,
    durationMs: reply.elapsedTime,
    // Which of the token's keys made the request (an old one still in use after a regenerate shows here), and the
    // feeds a change went to.
    ...(mark.event
      ? { eventType: mark.event.type, details: mark.event.details }
      : changed
        ? { details: JSON.stringify({ ...(mark.token.keyId ? { keyId: mark.token.keyId } : {}), changes: changed }) }
        : mark.token.keyId
          ? { details: `{"keyId":${JSON.stringify(mark.token.keyId)}}` }
          : {}),
    resource: {
      type: mark.resource.type,
      id: mark.resource.param === null ? null : ((request.params as Record<string, string | undefined>)[mark.resource.param] ?? null),
    },
  });
}

/**
 * Every request made with an API token lands in that token's feed. A place in the buffer is taken before the request
 * is served (503 AUDIT_UNAVAILABLE when there is none) and filled when the reply has been sent.
 *
 * `durability: "commit"`: the reply of an admitted request is held (onSend) until its event has committed, in a group
 * with the events of concurrent requests; when that write fails the reply becomes 503 AUDIT_UNAVAILABLE, and the
 * event (now saying 503) stays queued for the next round. A refused credential's event is never waited for.
 */
export function installAuditHooks(app: FastifyInstance, audit: AuditService, durability: "commit" | "buffered" = "buffered"): void {
  app.decorateRequest("latchkeyAudit", null);
  if (durability === "commit") {
    app.addHook("onSend", async (request, reply, payload) => {
      const mark = request.latchkeyAudit;
      if (!mark?.reserved) return payload;
      // Once: the error reply sent below passes through this hook again.
      request.latchkeyAudit = null;
      const draft = draftOf(audit, request, reply, mark);
      try {
        await audit.buffer.commit(draft);
      } catch {
        draft.status = 503;
        draft.outcome = "failed";
        throw new DomainError("AUDIT_UNAVAILABLE", "the audit log cannot take events now; retry shortly");
      }
      return payload;
    });
  }
  app.addHook("onResponse", (request, reply, done) => {
    const mark = request.latchkeyAudit;
    if (mark) {
      const draft = draftOf(audit, request, reply, mark);
      if (mark.reserved) audit.buffer.record(draft);
      else audit.buffer.offer(draft);
    }
    done();
  });
}

/** Called once the credential is known: an API-token request must hold a place in the audit buffer to be served. */
export function admitTokenRequest(request: FastifyRequest, principal: Principal, audit: AuditService, resource: ResourcePattern): void {
  if (principal.kind !== "api" || !principal.tokenId || !principal.scope) return;
  if (!audit.buffer.reserve()) throw new DomainError("AUDIT_UNAVAILABLE", "the audit log cannot take events now; retry shortly");
  request.latchkeyAudit = {
    token: {
      id: principal.tokenId,
      entityType: principal.scope.entityType,
      entityId: principal.scope.entityId,
      email: principal.email,
      keyId: principal.keyId,
    },
    reserved: true,
    resource,
    context: principal.context,
  };
}

/** A refusal of a token we issued is recorded on that token too. */
export function noteRefusal(request: FastifyRequest, error: unknown, resource: ResourcePattern): void {
  if (error instanceof TokenRefusal) request.latchkeyAudit = { token: error.token, reserved: false, resource };
}
