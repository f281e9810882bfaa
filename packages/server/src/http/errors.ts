import { DomainError, ERROR_STATUS, type ErrorCode } from "@latchkey/core";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/** The error envelope of API.md. */
export function errorBody(code: ErrorCode, message: string, requestId: string, details?: Record<string, unknown>) {
  return { error: { status: ERROR_STATUS[code], code, message, id: requestId, ...(details ? { details } : {}) } };
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "VALIDATION_FAILED",
  FST_ERR_CTP_EMPTY_JSON_BODY: "VALIDATION_FAILED",
  FST_ERR_CTP_INVALID_JSON_BODY: "VALIDATION_FAILED",
};

/** The body type of Latchkey's API (OAuth's endpoints read forms: `form-body.ts`). */
export const JSON_TYPE = "application/json";

/** A 415 that says what to send: the media type accepted, and the one received (its parameters and excess cut off). */
export function unsupportedMediaType(contentType: string | undefined, accepted = JSON_TYPE): DomainError {
  const received = (contentType ?? "").split(";")[0]?.trim().slice(0, 100) ?? "";
  return new DomainError(
    "UNSUPPORTED_MEDIA_TYPE",
    `send the body with the header "content-type: ${accepted}" (received ${received ? `"${received}"` : "no content-type"})`,
    { accepted, received: received || null },
  );
}

/**
 * Turns anything thrown into a DomainError; unknown errors become INTERNAL and are reported by the caller. With the
 * request, a body of the wrong type is told the type its route reads (`accepted`) and the one it came with.
 */
export function toDomainError(
  error: unknown,
  request?: { headers: { "content-type"?: string | undefined } },
  accepted = JSON_TYPE,
): { domain: DomainError; unexpected: boolean } {
  if (error instanceof DomainError) return { domain: error, unexpected: false };
  const e = error as Partial<FastifyError> & { type?: string };
  if (e.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE")
    return { domain: unsupportedMediaType(request?.headers["content-type"], accepted), unexpected: false };
  const mapped = e.code ? FASTIFY_CODES[e.code] : undefined;
  if (mapped)
    return {
      domain: new DomainError(
        mapped,
        mapped === "PAYLOAD_TOO_LARGE" ? "request body is too large (1 MiB at most)" : (e.message ?? "bad request"),
      ),
      unexpected: false,
    };
  if (error instanceof SyntaxError || (typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500)) {
    return { domain: new DomainError("VALIDATION_FAILED", e.message ?? "bad request"), unexpected: false };
  }
  return { domain: new DomainError("INTERNAL", "internal error"), unexpected: true };
}

/** Writes a DomainError as the envelope, with the headers its status calls for. */
export function sendError(reply: FastifyReply, request: FastifyRequest, error: DomainError): FastifyReply {
  if (error.status === 401) {
    const tokenPresented = /^bearer\s/i.test(request.headers.authorization ?? "");
    void reply.header("www-authenticate", tokenPresented ? 'Bearer error="invalid_token"' : 'Bearer realm="latchkey"');
  }
  const retry = error.details?.["retryAfterSeconds"];
  if (error.status === 429 && typeof retry === "number") void reply.header("retry-after", String(retry));
  return reply.code(error.status).send(errorBody(error.code, error.message, request.id, error.details));
}

/** The one error path: every thrown error and every unknown route ends here. */
export function installErrorHandling(
  app: FastifyInstance,
  /** A page for a person's browser at an unknown path (the console's own not-found page); null leaves the JSON 404. */
  notFoundPage?: (request: FastifyRequest, reply: FastifyReply) => FastifyReply | null,
): void {
  app.setErrorHandler((error, request, reply) => {
    const { domain, unexpected } = toDomainError(error, request);
    if (unexpected) request.log.error({ err: error, reqId: request.id }, "unhandled error");
    return sendError(reply, request, domain);
  });
  app.setNotFoundHandler((request, reply) => notFoundPage?.(request, reply) ?? sendNotFound(reply, request));
}

/** The API's answer to a path it has no route for. */
function sendNotFound(reply: FastifyReply, request: FastifyRequest): FastifyReply {
  return sendError(reply, request, new DomainError("NOT_FOUND", `no route for ${request.method} ${request.url.split("?")[0] ?? ""}`));
}
