import { DomainError } from "@latchkey/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Principal } from "../access/principal.js";
import { requestContext } from "../access/request-context.js";
import { assertIpAllowed } from "../access/ip-allow-list.js";
import { admitTokenRequest, noteRefusal, type ResourcePattern } from "../audit/hooks.js";
import type { AuditService } from "../audit/service.js";
import type { RateLimits } from "../services/rate-limits.js";
import type { ActiveSession, SessionService } from "../services/sessions.js";
import type { Store } from "../store/store.js";
import { SESSION_COOKIE } from "./session-cookie.js";

/**
 * Turns a bearer token into a principal, at once when it is known (no promise), else once looked up; throws (or
 * rejects with) TOKEN_* errors for anything it refuses.
 */
export type BearerAuthenticator = (token: string, request: FastifyRequest) => Principal | Promise<Principal>;

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const MAX_TOKEN_BYTES = 8 * 1024;

/** The token of an `Authorization: Bearer <token>` header. */
function bearerToken(authorization: string): string {
  const match = /^Bearer ([^\s]+)$/i.exec(authorization);
  if (!match?.[1]) throw new DomainError("TOKEN_INVALID", "Authorization must be 'Bearer <token>'");
  if (match[1].length > MAX_TOKEN_BYTES) throw new DomainError("TOKEN_INVALID", "token is too long");
  return match[1];
}

/** What runs once the request's principal is known. */
export type Authenticated<T> = (request: FastifyRequest, reply: FastifyReply, principal: Principal) => T;

/**
 * How a request proves who it is: a bearer token, or the console's session cookie with its CSRF header. An accepted
 * credential takes its place in the audit log (`audit`, unless request auditing is off) and its share of the rate
 * limit; a refused one is recorded on its token if we issued it, and counted against its address.
 */
export function createAuthenticator(deps: {
  store: Store;
  sessions: SessionService;
  bearer: BearerAuthenticator;
  audit: AuditService | null;
  limits: RateLimits;
}) {
  const { sessions, bearer, audit, limits } = deps;

  const fromSession = async (request: FastifyRequest, session: ActiveSession): Promise<Principal> => {
    if (UNSAFE.has(request.method)) {
      const header = request.headers["x-csrf-token"];
      if (!sessions.csrfMatches(session, typeof header === "string" ? header : undefined)) {
        throw new DomainError("CSRF_FAILED", "x-csrf-token header is missing or does not match the session");
      }
    }
    return {
      kind: "session",
      userId: session.user.id,
      email: session.user.email,
      tokenId: null,
      grants: await sessions.grantsOf(session.user.id),
      scope: null,
    };
  };

  /** The live console session behind the request's cookie, if any. */
  const sessionOf = async (request: FastifyRequest): Promise<ActiveSession | null> => {
    const cookie = request.cookies[SESSION_COOKIE];
    return cookie ? sessions.resolve(cookie) : null;
  };
  const fromCookie = async (request: FastifyRequest): Promise<Principal> => {
    const session = await sessionOf(request);
    if (!session) throw new DomainError("UNAUTHENTICATED", "sign in or send Authorization: Bearer <token>");
    return fromSession(request, session);
  };

  /**
   * The credential is checked before anything else; no credential or a bad one is a 401 (thrown, or a rejection). A
   * bearer token this process already knows is answered at once, without a promise: most requests are served so.
   */
  const principal = (request: FastifyRequest): Principal | Promise<Principal> => {
    const withContext = (principal: Principal): Principal => {
      principal.context = requestContext(request);
      return principal;
    };
    const authorization = request.headers.authorization;
    if (authorization === undefined) return fromCookie(request).then(withContext);
    const found = bearer(bearerToken(authorization), request);
    return found instanceof Promise ? found.then(withContext) : withContext(found);
  };

  /** An accepted credential takes its place in the audit log and its share of the rate limit, then `next` runs. */
  const admit = <T>(
    request: FastifyRequest,
    reply: FastifyReply,
    resource: ResourcePattern,
    found: Principal,
    next: Authenticated<T>,
  ): T => {
    request.latchkeyTokenId = found.tokenId;
    if (audit) admitTokenRequest(request, found, audit, resource);
    // After the audit admission: a request from an address the token may not use is recorded on its feed (403).
    assertIpAllowed(found, request.ip);
    const rate = limits.take(found);
    if (rate) {
      void reply.header("x-ratelimit-limit", rate.limit);
      void reply.header("x-ratelimit-remaining", rate.remaining);
      void reply.header("x-ratelimit-reset", Math.ceil(rate.resetMs / 1000));
      if (!rate.allowed) throw limits.refusal(rate);
    }
    return next(request, reply, found);
  };
  /** A refused credential: recorded on its token if we issued it, and counted against its address. */
  const refuse = (request: FastifyRequest, resource: ResourcePattern, error: unknown): never => {
    noteRefusal(request, error, resource);
    if (request.headers.authorization !== undefined && error instanceof DomainError && error.status === 401) limits.failed(request.ip);
    throw error;
  };

  return {
    /** The live console session behind the request's cookie, if any (no CSRF check: for reads of the session itself). */
    session: sessionOf,

    principal,

    /**
     * Authenticates, admits (audit, rate limit) and hands the principal to `next`: at once for a known bearer token,
     * else once looked up. The one place that tells the two apart; `resource` is what the audit event names.
     */
    run<T>(request: FastifyRequest, reply: FastifyReply, resource: ResourcePattern, next: Authenticated<T>): T | Promise<T> {
      // An address that keeps presenting bad tokens is refused before its tokens cost a signature check.
      if (request.headers.authorization !== undefined) limits.checkAddress(request.ip);
      let pending: Principal | Promise<Principal>;
      try {
        pending = principal(request);
      } catch (error) {
        return refuse(request, resource, error);
      }
      if (!(pending instanceof Promise)) return admit(request, reply, resource, pending, next);
      return pending.then(
        (found) => admit(request, reply, resource, found, next),
        (error: unknown) => refuse(request, resource, error),
      );
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
