/** The closed set of error codes and the HTTP status each one is answered with. */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  TOKEN_INVALID: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_REVOKED: 401,
  FORBIDDEN: 403,
  CSRF_FAILED: 403,
  CONFIRMATION_REQUIRED: 403,
  IP_NOT_ALLOWED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  NOT_READY: 503,
  AUDIT_UNAVAILABLE: 503,
} as const;

/** One of Latchkey's error codes. */
export type ErrorCode = keyof typeof ERROR_STATUS;

/** Every error the services raise: a code from the closed set, a message for people, details for programs. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "DomainError";
    this.code = code;
    this.details = details;
  }

  /** The HTTP status this error is answered with. */
  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** True when `value` is a DomainError (also across module copies). */
export function isDomainError(value: unknown): value is DomainError {
  return value instanceof DomainError;
}
