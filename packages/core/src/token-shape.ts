// A Latchkey token is a compact JWS whose protected header the server always writes the same way:
// {"alg":"EdDSA","typ":"at+jwt","kid":"sig_<16 base64url>"}, 59 bytes. Its base64url is therefore a fixed prefix,
// 22 characters of the key id and a fixed tail; the payload starts with {"iss":" and the Ed25519 signature is 64
// bytes (86 characters, the last one carrying only 2 bits). Scanners can recognise it without false alarms on
// other issuers' JWTs, whose headers differ.

/** The fixed start of every Latchkey token: the base64url of `{"alg":"EdDSA","typ":"at+jwt","kid":"sig_`. */
export const TOKEN_PREFIX = "eyJhbGciOiJFZERTQSIsInR5cCI6ImF0K2p3dCIsImtpZCI6InNpZ1";

/** The longest token a scanner looks for (the server refuses longer bearer tokens anyway). */
export const TOKEN_MAX_LENGTH = 8 * 1024;

/**
 * The regular expression that matches a Latchkey token (without flags or anchors; PCRE- and RE2-compatible): the
 * fixed header, a payload that starts with `{"iss":"`, and a 64-byte signature.
 */
export const TOKEN_PATTERN_SOURCE = `${TOKEN_PREFIX}[A-Za-z0-9_-]{22}In0\\.eyJpc3MiOi[A-Za-z0-9_-]{16,4096}\\.[A-Za-z0-9_-]{85}[AQgw]`;

/** A new global RegExp that finds Latchkey tokens in text, not inside longer base64url runs. */
export function tokenRegExp(): RegExp {
  return new RegExp(`(?<![A-Za-z0-9_-])${TOKEN_PATTERN_SOURCE}(?![A-Za-z0-9_-])`, "g");
}

/** Whether a string is, as a whole, shaped like a Latchkey token (not whether it is genuine). */
export function isTokenShaped(value: string): boolean {
  return value.length <= TOKEN_MAX_LENGTH && new RegExp(`^${TOKEN_PATTERN_SOURCE}$`).test(value);
}

/** Every Latchkey-shaped token in a text, with its offset. */
export function findTokens(text: string): { token: string; index: number }[] {
  const found: { token: string; index: number }[] = [];
  for (const m of text.matchAll(tokenRegExp())) found.push({ token: m[0], index: m.index });
  return found;
}

/** A token with all but its first 12 and last 4 characters hidden, for logs and scanner output. */
export function maskToken(token: string): string {
  return token.length <= 20 ? "*".repeat(token.length) : `${token.slice(0, 12)}…${token.slice(-4)}`;
}

/**
 * The issuer named in a token's payload (`iss`), unverified: only good as an address to report a leaked token to,
 * never as proof of anything. Undefined when it is not an http(s) URL.
 */
export function unverifiedIssuer(token: string): string | undefined {
  const payload = token.split(".")[1];
  if (payload === undefined) return undefined;
  try {
    const claims = JSON.parse(new TextDecoder().decode(base64urlBytes(payload))) as { iss?: unknown };
    if (typeof claims.iss !== "string") return undefined;
    const url = new URL(claims.iss);
    return url.protocol === "https:" || url.protocol === "http:" ? claims.iss.replace(/\/+$/, "") : undefined;
  } catch {
    return undefined;
  }
}

/** base64url to bytes without Node's Buffer (core runs in the browser too). */
function base64urlBytes(segment: string): Uint8Array {
  const b64 = segment.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
