import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";

declare module "fastify" {
  interface FastifyRequest {
    /** The API token that made the request, once the router has accepted it; null otherwise. */
    latchkeyTokenId: string | null;
  }
}

/** Probes that orchestrators call every few seconds: logged at debug, never at info. */
const PROBES = new Set(["/healthz", "/readyz"]);

/** A request URL without its query string (which may carry a one-time token or anything else, and is never logged). */
const pathOf = (url: string): string => {
  const q = url.indexOf("?");
  return (q === -1 ? url : url.slice(0, q)).slice(0, 2048);
};

/**
 * One access line per request, written when the reply has gone (Fastify's own two lines, "incoming request" and
 * "request completed", are off: `disableRequestLogging`). Made cheaply: a flat object of six fields, no serializer
 * of the request or reply, and a logger of its own on the same destination without the server logger's redaction
 * paths (measured: redaction alone cost more than the rest of the line, and these six fields hold no secret by
 * construction); nothing at all is built when the level is off. The line carries the method, the path without its
 * query, the status, the milliseconds, the request id and the token id, never a header. `log` null: no access log.
 */
export function installAccessLog(app: FastifyInstance, log: Logger | null): void {
  app.decorateRequest("latchkeyTokenId", null);
  if (!log) return;
  app.addHook("onResponse", (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const path = pathOf(request.url);
    const probe = PROBES.has(path);
    if (log.isLevelEnabled(probe ? "debug" : "info")) {
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
