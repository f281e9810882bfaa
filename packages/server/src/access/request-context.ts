import type { FastifyRequest } from "fastify";

/** Where a request came from, for the audit log. */
export interface RequestContext {
  ip: string;
  userAgent: string;
  origin: "api" | "ui" | "cli";
  method: string;
  /** The path without its query string (which may carry secrets such as a one-time session token). */
  path: string;
  /**
   * The feeds this request's changes were recorded in, as they are recorded (audit `change`): its own event says so,
   * and a team's or organisation's feed then shows the change events in its place (one row per change).
   */
  changes?: string[];
}

const ORIGINS = new Set(["ui", "cli"]);

/** A request URL without its query string (which may carry anything, and is never recorded). */
const pathOf = (url: string): string => {
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
};

/**
 * Where a request came from: the console and the CLI say so in `x-latchkey-origin` (the SDK's `origin` option);
 * anything else is the API. The console signs in with a session and never sends a token: a bearer request that says
 * `ui` is recorded as `api`.
 */
export function requestContext(request: FastifyRequest): RequestContext {
  const claimed = request.headers["x-latchkey-origin"];
  const userAgent = request.headers["user-agent"] ?? "";
  const origin = typeof claimed === "string" && ORIGINS.has(claimed) ? (claimed as "ui" | "cli") : "api";
  return {
    ip: request.ip,
    userAgent: userAgent.slice(0, 512),
    origin: origin === "ui" && request.headers.authorization !== undefined ? "api" : origin,
    method: request.method,
    path: pathOf(request.url).slice(0, 2048),
  };
}
