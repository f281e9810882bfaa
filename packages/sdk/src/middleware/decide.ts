import { VerifierRequestError, VerifierUnavailableError, type Verifier, type VerifyResult } from "../verifier/verifier.js";

/** A refusal in Latchkey's error shape (API.md "Errors"). */
export interface Refusal {
  status: 401 | 403 | 500 | 503;
  body: { error: { status: number; code: string; message: string; details?: Record<string, unknown> } };
}

const refusal = (status: Refusal["status"], code: string, message: string, details?: Record<string, unknown>): Refusal => ({
  status,
  body: { error: { status, code, message, ...(details ? { details } : {}) } },
});

const CODES: Record<string, { status: 401 | 403; code: string; message: string }> = {
  NOT_FOUND: { status: 401, code: "UNAUTHENTICATED", message: "invalid or unknown token" },
  EXPIRED: { status: 401, code: "TOKEN_EXPIRED", message: "the token has expired" },
  REVOKED: { status: 401, code: "TOKEN_REVOKED", message: "the token has been revoked" },
  IP_NOT_ALLOWED: { status: 403, code: "IP_NOT_ALLOWED", message: "the token may not be used from this address" },
};

/** The bearer token of an Authorization header, or null. */
export function bearerOf(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value ? /^Bearer[ ]+(\S+)[ ]*$/i.exec(value) : null;
  return match ? (match[1] ?? null) : null;
}

/**
 * The decision for one request: the verifier's answer when valid, or the reply to send. Never throws. `ip` is the
 * client's address as the framework reports it; an unknown one (`""`) satisfies no token's IP allow-list.
 */
export async function decide(
  verifier: Verifier,
  header: string | string[] | undefined,
  permissions: readonly string[],
  ip: string,
): Promise<{ ok: true; decision: VerifyResult } | { ok: false; refusal: Refusal }> {
  const token = bearerOf(header);
  if (!token) return { ok: false, refusal: refusal(401, "UNAUTHENTICATED", "a bearer token is required") };
  try {
    const decision = await verifier.verify(token, { permissions, ip });
    if (decision.valid) return { ok: true, decision };
    if (decision.code === "INSUFFICIENT_PERMISSIONS") {
      const missing = decision.missing ?? [];
      return {
        ok: false,
        refusal: refusal(403, "FORBIDDEN", `missing permission ${missing[0] ?? ""}`.trim(), { permission: missing[0], missing }),
      };
    }
    if (decision.code === "RATE_LIMITED")
      return { ok: false, refusal: refusal(503, "RATE_LIMITED", "the token's rate limit is exhausted") };
    const known = CODES[decision.code] ?? CODES["NOT_FOUND"]!;
    return { ok: false, refusal: refusal(known.status, known.code, known.message) };
  } catch (error) {
    if (error instanceof VerifierUnavailableError)
      return { ok: false, refusal: refusal(503, "VERIFIER_UNAVAILABLE", "token verification is unavailable") };
    if (error instanceof VerifierRequestError && error.status === 400) {
      return { ok: false, refusal: refusal(403, "FORBIDDEN", "the permission asked for is not declared", { permissions }) };
    }
    return { ok: false, refusal: refusal(500, "INTERNAL", "token verification failed") };
  }
}
