import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

declare module "fastify" {
  interface FastifyRequest {
    /** The API token that made the request, once the router has accepted it; null otherwise. */
    latchkeyTokenId: string | null;
  }
}

/** pino's level numbers: a line is written when its level is at least the logger's. */
const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
const INFO = 30;
const DEBUG = 20;

/** Probes that orchestrators call every few seconds: logged at debug, never at info. */
const PROBES = new Set(["/healthz", "/readyz"]);

/** A request URL without its query string (which may carry a one-time token or anything else, and is never logged). */
const pathOf = (url: string): string => {
  const q = url.indexOf("?");
  return (q === -1 ? url : url.slice(0, q)).slice(0, 2048);
};

/**
 * One access line per request, written when the reply has gone (Fastify's own two lines, "incoming request" and
 * "request completed", are off: `disableRequestLogging`). Made cheaply: a flat object of six fields and no
 * serializer of the request or reply; nothing at all is built when the level is off. The line carries the method,
 * the path without its query, the status, the milliseconds, the request id and the token id, never a header.
 */
export function installAccessLog(app: FastifyInstance): void {
  app.decorateRequest("latchkeyTokenId", null);
  const log = app.log;
  app.addHook("onResponse", (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const path = pathOf(request.url);
    const probe = PROBES.has(path);
    // Read per request: the level may be changed while the server runs (silent and unknown levels write nothing).
    if ((LEVELS[log.level] ?? Infinity) <= (probe ? DEBUG : INFO)) {
      const line = {
        reqId: request.id,
        method: request.method,
        url: path,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        tokenId: request.latchkeyTokenId,
      };
      if (probe) log.debug(line, "request");
      else log.info(line, "request");
    }
    done();
  });
}
