import { DomainError } from "@latchkey/core";
import type { FastifyInstance } from "fastify";

/** How deep a JSON body may nest: far beyond any schema of the API, far below what a recursive walk could choke on. */
export const MAX_JSON_DEPTH = 32;

/** The socket-level limits of the real listener (inject() bypasses them). */
export interface ListenerLimits {
  /** The whole request (headers and body) must arrive within this; 0 would let a slow client hold a socket forever. */
  requestTimeoutMs: number;
  /** The headers must arrive within this. */
  headersTimeoutMs: number;
  /** How often Node checks the two timeouts above. */
  checkIntervalMs: number;
}

/** Defaults for a server on the internet: an honest client sends 1 MiB well within these. */
export const DEFAULT_LISTENER_LIMITS: ListenerLimits = { requestTimeoutMs: 30_000, headersTimeoutMs: 10_000, checkIntervalMs: 2_000 };

/** The request header section (request line included) may not exceed this: Node answers 431 past it. */
export const MAX_HEADER_BYTES = 16 * 1024;

/** Whether JSON text nests objects and arrays deeper than `max`: one pass over the characters, strings skipped. */
export function nestedDeeperThan(text: string, max: number): boolean {
  // Nesting d levels takes 2d characters: short bodies cannot be too deep.
  if (text.length <= 2 * max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

declare module "fastify" {
  interface FastifyRequest {
    /** The body's bytes as received, kept only where a signature covers them (`RAW_BODY_PREFIX`). */
    rawBody?: Buffer;
  }
}

/** Routes under this prefix verify a signature over the exact bytes received (GitHub's secret scanning reports). */
export const RAW_BODY_PREFIX = "/v1/secret-scanning/";

/**
 * JSON bodies go through Fastify's own parser (prototype poisoning refused) after two cheap checks: the bytes are
 * UTF-8 (not silently patched with U+FFFD), and the nesting is bounded. An empty body is no body.
 */
export function installJsonLimits(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, bytes, done) => {
    // No bytes is no body: many API clients and generated SDKs send `content-type: application/json` on a DELETE or
    // a POST that carries nothing. The route's schema then judges the absent body as it would an omitted one.
    if ((bytes as Buffer).length === 0) {
      done(null, undefined);
      return;
    }
    let body: string;
    try {
      body = utf8.decode(bytes as Buffer);
    } catch {
      done(new DomainError("VALIDATION_FAILED", "request body is not UTF-8", { fields: { body: "not UTF-8" } }), undefined);
      return;
    }
    if (request.url.startsWith(RAW_BODY_PREFIX)) request.rawBody = bytes as Buffer;
    if (nestedDeeperThan(body, MAX_JSON_DEPTH)) {
      done(
        new DomainError("VALIDATION_FAILED", `request body nests deeper than ${MAX_JSON_DEPTH} levels`, {
          fields: { body: `nested deeper than ${MAX_JSON_DEPTH} levels` },
        }),
        undefined,
      );
      return;
    }
    // The default parser calls done itself; its typing also allows a promise, which it never returns.
    void parse(request, body, done);
  });
}
