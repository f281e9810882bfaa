import { DomainError } from "@latchkey/core";
import type { FastifyRequest } from "fastify";
import type { Principal } from "../access/principal.js";
import { requestContext } from "../access/request-context.js";
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

/** How a request proves who it is: a bearer token, or the console's session cookie with its CSRF header. */
export function createAuthenticator(deps: { store: Store; sessions: SessionService; bearer: BearerAuthenticator }) {
  const { sessions, bearer } = deps;

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

  return {
    /** The live console session behind the request's cookie, if any (no CSRF check: for reads of the session itself). */
    session: sessionOf,

    /**
     * The credential is checked before anything else; no credential or a bad one is a 401 (thrown, or a rejection). A
     * bearer token this process already knows is answered at once, without a promise: most requests are served so.
     */
    principal(request: FastifyRequest): Principal | Promise<Principal> {
      const withContext = (principal: Principal): Principal => {
        principal.context = requestContext(request);
        return principal;
      };
      const authorization = request.headers.authorization;
      if (authorization === undefined) return fromCookie(request).then(withContext);
      const principal = bearer(bearerToken(authorization), request);
      return principal instanceof Promise ? principal.then(withContext) : withContext(principal);
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
