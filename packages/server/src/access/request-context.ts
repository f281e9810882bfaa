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
