import { verify as verifySignature, type KeyObject } from "node:crypto";
import { DomainError } from "@latchkey/core";

/** The claims of a Latchkey access token (RFC 9068 `at+jwt`); no permissions: they are read from the role. */
export interface TokenClaims {
  iss: string;
  aud: string;
  sub: string;
  jti: string;
  client_id: string;
  iat: number;
  exp?: number;
  entityType: "team" | "org";
  entityId: string;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const HEADER_KEYS = ["alg", "kid", "typ"];
const utf8 = new TextDecoder("utf-8", { fatal: true });

// Which check failed is not said: a forger learns nothing from the reply. `why` documents each call site.
const invalid = (why: string): DomainError => Object.assign(new DomainError("TOKEN_INVALID", "token is not valid"), { why });

const MAX_CLAIM_SHOWN = 200;

/**
 * A token signed by one of our keys for another issuer or audience (LATCHKEY_ISSUER changed since it was made): the
 * refusal names both, so that the person knows a new token is needed rather than guessing at a typo.
 */
function mismatch(claim: "issuer" | "audience", got: unknown, want: string): DomainError {
  // No string, no issuer to name: not a token of an earlier issuer, just a broken one.
  if (typeof got !== "string") return invalid(claim === "issuer" ? "iss" : "aud");
  const shown = got.slice(0, MAX_CLAIM_SHOWN);
  const error = new DomainError(
    "TOKEN_INVALID",
    `token is not valid here: it was issued for ${claim} ${shown}, and this server's ${claim} is ${want}; create a new token or run latchkey login`,
    { reason: claim, claimed: shown, expected: want },
  );
  return Object.assign(error, { why: claim === "issuer" ? "iss" : "aud" });
}

/** Decodes strict base64url: the canonical form only (no padding, no `+/`, no stray bits). */
function decodeSegment(segment: string): Buffer {
  if (!SEGMENT.test(segment)) throw invalid("encoding");
  const bytes = Buffer.from(segment, "base64url");
  if (bytes.toString("base64url") !== segment) throw invalid("encoding");
  return bytes;
}

function parseObject(segment: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(decodeSegment(segment)));
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw invalid("json");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid("json");
  return value as Record<string, unknown>;
}

const isTime = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** The unverified `kid` of a compact JWS, checked for shape; the caller looks the key up. */
export function splitToken(token: string): {
  header: Record<string, unknown>;
  kid: string;
  signingInput: string;
  payload: string;
  signature: Buffer;
} {
  const parts = token.split(".");
  if (parts.length !== 3) throw invalid("segments");
  const [h, p, s] = parts as [string, string, string];
  const header = parseObject(h);
  const keys = Object.keys(header).sort();
  if (keys.length !== HEADER_KEYS.length || keys.some((k, i) => k !== HEADER_KEYS[i])) throw invalid("header");
  if (header["alg"] !== "EdDSA" || header["typ"] !== "at+jwt") throw invalid("header");
  const kid = header["kid"];
  if (typeof kid !== "string" || !ID.test(kid)) throw invalid("kid");
  const signature = decodeSegment(s);
  if (signature.length !== 64) throw invalid("signature");
  return { header, kid, signingInput: `${h}.${p}`, payload: p, signature };
}

/**
 * Verifies a compact JWS with node:crypto (synchronous Ed25519) and returns its claims. Only structure, signature,
 * issuer, audience and claim types are checked here; expiry and revocation are the verifier's, against the clock
 * and the store on every request.
 */
export function verifyJwt(
  token: string,
  keyFor: (kid: string) => KeyObject | undefined,
  expected: { iss: string; aud: string },
): TokenClaims {
  const { kid, signingInput, payload, signature } = splitToken(token);
  const key = keyFor(kid);
  if (!key) throw invalid("kid");
  if (!verifySignature(null, Buffer.from(signingInput), key, signature)) throw invalid("signature");
  const c = parseObject(payload);
  // Past the signature the token is one of ours: saying which claim does not fit tells a forger nothing.
  if (c["iss"] !== expected.iss) throw mismatch("issuer", c["iss"], expected.iss);
  if (c["aud"] !== expected.aud) throw mismatch("audience", c["aud"], expected.aud);
  const { sub, jti, client_id, iat, exp, entityType, entityId } = c;
  if (typeof sub !== "string" || !ID.test(sub) || typeof jti !== "string" || !ID.test(jti) || client_id !== sub) throw invalid("claims");
  if (!isTime(iat) || (exp !== undefined && !isTime(exp))) throw invalid("claims");
  if ((entityType !== "team" && entityType !== "org") || typeof entityId !== "string") throw invalid("claims");
  return { iss: expected.iss, aud: expected.aud, sub, jti, client_id, iat, ...(exp === undefined ? {} : { exp }), entityType, entityId };
}
