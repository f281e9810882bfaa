import { DomainError } from "@latchkey/core";
import type { FastifyRequest } from "fastify";
import { grantsOfUser } from "../services/access.js";
import type { Principal, RequestContext } from "../services/principal.js";
import type { ActiveSession, SessionService } from "../services/sessions.js";
import type { Store } from "../store/store.js";
import { SESSION_COOKIE } from "./session-cookie.js";

/** Turns a bearer token into a principal; throws TOKEN_* errors for anything it refuses. */
export type BearerAuthenticator = (token: string, request: FastifyRequest) => Promise<Principal>;

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const ORIGINS = new Set(["ui", "cli"]);

/** A request URL without its query string (which may carry anything, and is never recorded). */
const pathOf = (url: string): string => {
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
};

/** Where a request came from: the console and the CLI say so in `x-latchkey-origin`; anything else is the API. */
export function requestContext(request: FastifyRequest): RequestContext {
  const origin = request.headers["x-latchkey-origin"];
  const userAgent = request.headers["user-agent"] ?? "";
  return {
    ip: request.ip,
    userAgent: userAgent.slice(0, 512),
    origin: typeof origin === "string" && ORIGINS.has(origin) ? (origin as "ui" | "cli") : "api",
    method: request.method,
    path: pathOf(request.url).slice(0, 2048),
  };
}
const MAX_TOKEN_BYTES = 8 * 1024;

/** How a request proves who it is: a bearer token, or the console's session cookie with its CSRF header. */
export function createAuthenticator(deps: { store: Store; sessions: SessionService; bearer: BearerAuthenticator }) {
  const { store, sessions, bearer } = deps;

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
      grants: await grantsOfUser(store, session.user.id),
      scope: null,
    };
  };

  return {
    /** The live console session behind the request's cookie, if any (no CSRF check: for reads of the session itself). */
    async session(request: FastifyRequest): Promise<ActiveSession | null> {
      const cookie = request.cookies[SESSION_COOKIE];
      return cookie ? sessions.resolve(cookie) : null;
    },

    /** The credential is checked before anything else; no credential or a bad one is a 401. */
    async principal(request: FastifyRequest): Promise<Principal> {
      const authorization = request.headers.authorization;
      let principal: Principal;
      if (authorization !== undefined) {
        const match = /^Bearer ([^\s]+)$/i.exec(authorization);
        if (!match?.[1]) throw new DomainError("TOKEN_INVALID", "Authorization must be 'Bearer <token>'");
        if (match[1].length > MAX_TOKEN_BYTES) throw new DomainError("TOKEN_INVALID", "token is too long");
        principal = await bearer(match[1], request);
      } else {
        const session = await this.session(request);
        if (!session) throw new DomainError("UNAUTHENTICATED", "sign in or send Authorization: Bearer <token>");
        principal = await fromSession(request, session);
      }
      principal.context = requestContext(request);
      return principal;
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
