import { DomainError } from "@latchkey/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Principal } from "../../access/principal.js";
import type { RequestContext } from "../../access/request-context.js";
import type { ResourcePattern } from "../../audit/hooks.js";
import type { Services } from "../../services/app-services.js";
import { errorBody, toDomainError } from "../errors.js";
import type { Router } from "../route.js";

const PREFIX = "/v1/auth/forward";
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
/** The request is about the original request, not a resource of ours. */
const RESOURCE: ResourcePattern = { type: null, param: null };
const MAX_NAMES = 32;
const MAX_NAME_LENGTH = 200;
const MAX_PATH = 2048;
const METHOD = /^[A-Z]{1,16}$/;
const PLAIN_HEADER = /^[\x20-\x7e]*$/;

/** What the gateway asked about: the original request and the permissions it needs. */
interface Asked {
  method: string;
  path: string;
  /** Every name the query and the header ask for (all required); null when they are malformed or too many. */
  names: string[] | null;
}

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return typeof value === "string" ? value : undefined;
};

const withoutQuery = (uri: string): string => {
  const q = uri.indexOf("?");
  return (q === -1 ? uri : uri.slice(0, q)).slice(0, MAX_PATH);
};

/** Query `permission` (repeatable) and header `x-latchkey-permission` (comma-separated): their union, all required. */
function namesOf(request: FastifyRequest): string[] | null {
  const names: string[] = [];
  const query = (request.query as Record<string, unknown>)["permission"];
  for (const value of query === undefined ? [] : Array.isArray(query) ? query : [query]) {
    if (typeof value !== "string") return null;
    names.push(value.trim());
  }
  const listed = header(request, "x-latchkey-permission");
  if (listed !== undefined) for (const part of listed.split(",")) if (part.trim() !== "") names.push(part.trim());
  if (names.length > MAX_NAMES || names.some((n) => n === "" || n.length > MAX_NAME_LENGTH)) return null;
  return names.length < 2 ? names : [...new Set(names)];
}

/**
 * The original request: X-Forwarded-Method/-Uri (Traefik, Caddy), X-Original-Method/-URI (nginx), else Envoy's
 * ext_authz `path_prefix` (this request's method, and its path after the prefix).
 */
function askedOf(request: FastifyRequest): Asked {
  const method = header(request, "x-forwarded-method") ?? header(request, "x-original-method");
  const uri = header(request, "x-forwarded-uri") ?? header(request, "x-original-uri");
  const names = namesOf(request);
  if (method !== undefined || uri !== undefined) {
    const m = method?.trim().toUpperCase() ?? "";
    return { method: METHOD.test(m) ? m : "", path: withoutQuery(uri ?? ""), names };
  }
  return { method: request.method, path: withoutQuery(request.url.slice(PREFIX.length)) || "/", names };
}

/** The audit event of this decision: `auth.forward` in the checked token's feed, with the original request. */
function markAudit(request: FastifyRequest, asked: Asked): void {
  const mark = request.latchkeyAudit;
  if (!mark) return;
  // The address and agent as authentication read them (a refused token's mark has none yet).
  const seen = mark.context;
  const context: RequestContext = {
    ip: seen ? seen.ip : request.ip,
    userAgent: seen ? seen.userAgent : (header(request, "user-agent") ?? "").slice(0, 512),
    origin: "api",
    method: asked.method,
    path: asked.path,
  };
  mark.context = context;
  const keyId = mark.token.keyId;
  // The text JSON.stringify({door, permissions, keyId?}) gives, without building the object on every request.
  const key = keyId ? `,"keyId":${JSON.stringify(keyId)}` : "";
  mark.event = { type: "auth.forward", details: `{"door":"forward","permissions":${JSON.stringify(asked.names ?? [])}${key}}` };
}

/** A header value as it may be sent: plain ASCII as is, anything else percent-encoded. */
const headerSafe = (value: string): string => (PLAIN_HEADER.test(value) ? value : encodeURIComponent(value));

/**
 * Forward auth (API.md "Checking tokens for other services"): the gateway's subrequest carries the end client's
 * token; 200 with an empty body and the identity headers allows, 401/403/429 refuse. The credential goes through the
 * router's own guard (verifier, per-address failure limit, audit place, per-token rate limit): one decision with
 * every other route. Kept lean: no schema parsing, no body, no promise when the token is known.
 */
export function forwardAuthRoutes(app: FastifyInstance, router: Router, { checks }: Services): void {
  const refuse = (request: FastifyRequest, reply: FastifyReply, error: unknown, asked: Asked): FastifyReply => {
    markAudit(request, asked);
    const { domain, unexpected } = toDomainError(error);
    if (unexpected) request.log.error({ err: error }, "forward auth failed");
    if (domain.status === 401) void reply.header("www-authenticate", 'Bearer error="invalid_token"');
    const retry = domain.details?.["retryAfterSeconds"];
    if (domain.status === 429 && typeof retry === "number") void reply.header("retry-after", String(retry));
    return reply.code(domain.status).send(errorBody(domain.code, domain.message, request.id, domain.details));
  };

  /** Sends the answer; a promise of the reply only when a permission had to be looked up. */
  const allow = (request: FastifyRequest, reply: FastifyReply, principal: Principal, asked: Asked): void | Promise<FastifyReply> => {
    markAudit(request, asked);
    if (asked.names === null) {
      throw new DomainError("VALIDATION_FAILED", `permissions: at most ${MAX_NAMES} names of at most ${MAX_NAME_LENGTH} characters`, {
        fields: { permission: "malformed" },
      });
    }
    // A permission the token holds answers at once; one it lacks is looked up (400 unknown or 403 missing).
    const refusing = checks.require(principal, asked.names);
    if (refusing)
      return refusing.then(
        () => reply,
        (error: unknown) => refuse(request, reply, error, asked),
      );
    const token = principal.token;
    if (!token || !principal.tokenId) throw new DomainError("UNAUTHENTICATED", "send Authorization: Bearer <token>");
    void reply
      .code(200)
      .header("x-latchkey-token-id", principal.tokenId)
      .header("x-latchkey-token-name", headerSafe(token.name))
      .header("x-latchkey-entity", token.entity)
      .header("x-latchkey-role", token.roleId)
      .send();
  };

  /**
   * Answers at once when the token is known (returning nothing: a returned reply is a thenable that Fastify would
   * wait on with end-of-stream listeners, about 2 µs a request); a promise of the reply when something was looked up.
   */
  const handler = (request: FastifyRequest, reply: FastifyReply): void | Promise<FastifyReply> => {
    const asked = askedOf(request);
    try {
      // Only the end client's bearer token counts here: a console cookie passed on by a gateway is no credential.
      if (request.headers.authorization === undefined) throw new DomainError("UNAUTHENTICATED", "send Authorization: Bearer <token>");
      const pending = router.guard(request, reply, RESOURCE);
      if (!(pending instanceof Promise)) return allow(request, reply, pending, asked);
      return pending.then(
        (principal) => {
          try {
            return allow(request, reply, principal, asked) ?? reply;
          } catch (error) {
            return refuse(request, reply, error, asked);
          }
        },
        (error: unknown) => refuse(request, reply, error, asked),
      );
    } catch (error) {
      void refuse(request, reply, error, asked);
    }
  };

  // Any body is ignored (a gateway may pass one on): never parsed, never a 415.
  void app.register((scope, _options, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_request, payload, next) => {
      payload.resume();
      next(null, undefined);
    });
    for (const url of [PREFIX, `${PREFIX}/*`]) scope.route({ method: METHODS, url, exposeHeadRoute: false, handler });
    done();
  });
  router.document({
    method: "GET",
    url: PREFIX,
    summary:
      "Forward auth for gateways (any method; also /v1/auth/forward/*): 200 with an empty body and x-latchkey-* identity headers, or 401/403/429",
    tags: ["auth"],
    auth: "credential",
    declared: { none: "the gateway asks for permissions of the token's own team or organisation: token-checks.ts require" },
    query: z.object({ permission: z.union([z.string(), z.array(z.string())]).optional() }),
    reply: z.null(),
  });
}
