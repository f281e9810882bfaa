import { createHmac, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { DomainError } from "@latchkey/core";
import { describe, expect, it, vi } from "vitest";
import { splitToken, verifyJwt } from "./jwt.js";

// Pure unit tests of the first-seen verification: a generated Ed25519 key, hand-built compact JWS strings.

const KID = "sig_test";
const OTHER_KID = "sig_other";
const ours = generateKeyPairSync("ed25519");
const other = generateKeyPairSync("ed25519");
const foreign = generateKeyPairSync("ed25519");
const expected = { iss: "http://latchkey.test", aud: "http://latchkey.test/v1" };
const NOW = 1_750_000_000;

const published = new Map<string, KeyObject>([
  [KID, ours.publicKey],
  [OTHER_KID, other.publicKey],
]);
const keyFor = (kid: string): KeyObject | undefined => published.get(kid);

const b64 = (v: string | Buffer): string => Buffer.from(v).toString("base64url");
const enc = (o: unknown): string => b64(JSON.stringify(o));
const sigOf = (input: string, key: KeyObject = ours.privateKey): string => sign(null, Buffer.from(input), key).toString("base64url");
/** Signs already-encoded segments with an Ed25519 private key: the result verifies unless the header or claims are wrong. */
const signed = (h: string, p: string, key: KeyObject = ours.privateKey): string => `${h}.${p}.${sigOf(`${h}.${p}`, key)}`;

const HEADER = { alg: "EdDSA", typ: "at+jwt", kid: KID };
const CLAIMS = {
  iss: expected.iss,
  aud: expected.aud,
  sub: "tok_abc",
  jti: "key_abc",
  client_id: "tok_abc",
  iat: NOW,
  exp: NOW + 3600,
  entityType: "team",
  entityId: "alpha",
};
const make = (header: unknown = HEADER, claims: unknown = CLAIMS, key?: KeyObject): string => signed(enc(header), enc(claims), key);
const withHeader = (patch: Record<string, unknown>): string => make({ ...HEADER, ...patch });
const withoutHeader = (field: string): string => make(Object.fromEntries(Object.entries(HEADER).filter(([k]) => k !== field)));
const withClaims = (patch: Record<string, unknown>): string => make(HEADER, { ...CLAIMS, ...patch });
const withoutClaim = (field: string): string => make(HEADER, Object.fromEntries(Object.entries(CLAIMS).filter(([k]) => k !== field)));
/** Claims whose JSON text is written by hand (numbers JSON.stringify cannot produce). */
const rawClaims = (text: string): string => signed(enc(HEADER), b64(text));
const claimsText = (field: string, literal: string): string => {
  const rest = JSON.stringify(Object.fromEntries(Object.entries(CLAIMS).filter(([k]) => k !== field)));
  return `${rest.slice(0, -1)},"${field}":${literal}}`;
};

const VALID = make();
const [H, P, S] = VALID.split(".") as [string, string, string];

/** Runs `fn` and returns the DomainError it throws; fails on success or on any other kind of error. */
function refusal(fn: () => unknown): DomainError {
  let result: unknown;
  try {
    result = fn();
  } catch (error) {
    if (!(error instanceof DomainError)) throw new Error(`expected a DomainError, got ${String(error)}`);
    return error;
  }
  throw new Error(`expected a refusal, but it was accepted: ${JSON.stringify(result)}`);
}
const expectInvalid = (token: string, keys: (kid: string) => KeyObject | undefined = keyFor): void => {
  const error = refusal(() => verifyJwt(token, keys, expected));
  expect(error.code).toBe("TOKEN_INVALID");
  expect(error.status).toBe(401);
  // The message helps nobody forging: it is the same whatever was wrong, and never echoes the token.
  expect(error.message).toBe("token is not valid");
  if (token.length >= 20) expect(JSON.stringify(error.details ?? {})).not.toContain(token.slice(0, 40));
};

const HS256 = (secret: Buffer | string): string => {
  const h = enc({ alg: "HS256", typ: "at+jwt", kid: KID });
  const p = enc(CLAIMS);
  return `${h}.${p}.${createHmac("sha256", secret).update(`${h}.${p}`).digest("base64url")}`;
};
const publicPem = ours.publicKey.export({ format: "pem", type: "spki" }).toString();
const publicRaw = Buffer.from(String(ours.publicKey.export({ format: "jwk" }).x), "base64url");

const badUtf8 = (prefix: string, suffix: string, bytes: number[]): string =>
  b64(Buffer.concat([Buffer.from(prefix), Buffer.from(bytes), Buffer.from(suffix)]));
const headerPrefix = `{"alg":"EdDSA","typ":"at+jwt","kid":"${KID}","x":"`;
const claimsPrefix = `${JSON.stringify(CLAIMS).slice(0, -1)},"entityId":"`;

// Ed25519 group order L: a signature with S + L in place of S is the classic malleability case.
const L = (1n << 252n) + 27742317777372353535851937790883648493n;
const malleated = (() => {
  const sig = Buffer.from(S, "base64url");
  const s = BigInt(`0x${Buffer.from(sig.subarray(32)).reverse().toString("hex")}`) + L;
  const sBytes = Buffer.from(s.toString(16).padStart(64, "0"), "hex").reverse();
  return `${H}.${P}.${Buffer.concat([sig.subarray(0, 32), sBytes]).toString("base64url")}`;
})();
// The last character of a 64-byte signature carries 4 unused bits: the same bytes with different stray bits.
const strayBits = (() => {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const last = alphabet.indexOf(S.slice(-1));
  return `${H}.${P}.${S.slice(0, -1)}${alphabet[last ^ 1]}`;
})();

describe("verifyJwt: what it accepts", () => {
  it("accepts a well-formed token signed by a published key and returns exactly the claims", () => {
    expect(verifyJwt(VALID, keyFor, expected)).toEqual(CLAIMS);
    expect(splitToken(VALID)).toMatchObject({ kid: KID, header: HEADER, signingInput: `${H}.${P}`, payload: P });
  });

  it("accepts a token without exp (no expiry) and tokens of an organisation", () => {
    const claims = verifyJwt(withoutClaim("exp"), keyFor, expected);
    expect(claims).not.toHaveProperty("exp");
    expect(verifyJwt(withClaims({ entityType: "org", entityId: "acme" }), keyFor, expected)).toMatchObject({ entityType: "org" });
  });

  it("picks the key by kid: a token of the other published key verifies under its own kid", () => {
    expect(verifyJwt(make({ ...HEADER, kid: OTHER_KID }, CLAIMS, other.privateKey), keyFor, expected)).toEqual(CLAIMS);
  });

  it("copies only the known claims (nothing extra reaches the caller)", () => {
    const claims = verifyJwt(withClaims({ permissions: ["everything"], admin: true }), keyFor, expected);
    expect(Object.keys(claims).sort()).toEqual(Object.keys(CLAIMS).sort());
  });
});

describe("verifyJwt: hostile tokens are all TOKEN_INVALID, never another error", () => {
  const cases: [string, string][] = [
    // Algorithm confusion.
    ["alg none, empty signature", `${enc({ ...HEADER, alg: "none" })}.${P}.`],
    ["alg none with a valid signature attached", withHeader({ alg: "none" })],
    ["alg None", withHeader({ alg: "None" })],
    ["alg NONE", withHeader({ alg: "NONE" })],
    ["alg nOnE", withHeader({ alg: "nOnE" })],
    ["alg empty", withHeader({ alg: "" })],
    ["alg null", withHeader({ alg: null })],
    ["alg as array", withHeader({ alg: ["EdDSA"] })],
    ["alg eddsa (lower case)", withHeader({ alg: "eddsa" })],
    ["alg with a trailing space", withHeader({ alg: "EdDSA " })],
    ["alg ES256", withHeader({ alg: "ES256" })],
    ["alg RS256", withHeader({ alg: "RS256" })],
    ["missing alg", withoutHeader("alg")],
    ["HS256 signed with the public key (PEM)", HS256(publicPem)],
    ["HS256 signed with the public key (raw bytes)", HS256(publicRaw)],
    ["HS256 signed with the kid", HS256(KID)],
    // Keys.
    ["a foreign Ed25519 key under our kid", make(HEADER, CLAIMS, foreign.privateKey)],
    ["the other published key's signature under our kid", make(HEADER, CLAIMS, other.privateKey)],
    ["our key's signature under the other kid", make({ ...HEADER, kid: OTHER_KID })],
    ["an unknown kid", withHeader({ kid: "sig_unknown" })],
    ["kid path traversal", withHeader({ kid: "../../../etc/passwd" })],
    ["kid traversal, url-encoded", withHeader({ kid: "..%2F..%2Fetc%2Fpasswd" })],
    ["kid SQL injection", withHeader({ kid: "sig_test' OR '1'='1" })],
    ["kid SQL comment", withHeader({ kid: "x';--" })],
    ["kid with NUL", withHeader({ kid: `${KID}\u0000` })],
    ["kid of 10 KB", withHeader({ kid: "a".repeat(10 * 1024) })],
    ["kid of 65 characters", withHeader({ kid: "a".repeat(65) })],
    ["kid empty", withHeader({ kid: "" })],
    ["kid a number", withHeader({ kid: 1 })],
    ["kid null", withHeader({ kid: null })],
    ["kid an array", withHeader({ kid: [KID] })],
    ["kid an object", withHeader({ kid: { $ne: null } })],
    ["kid __proto__", withHeader({ kid: "__proto__" })],
    ["kid constructor", withHeader({ kid: "constructor" })],
    ["missing kid", withoutHeader("kid")],
    // Extra header fields that would let the token pick its own key or semantics.
    ["header jwk", withHeader({ jwk: ours.publicKey.export({ format: "jwk" }) })],
    ["header jku", withHeader({ jku: "https://evil.test/jwks.json" })],
    ["header x5u", withHeader({ x5u: "https://evil.test/cert.pem" })],
    ["header x5c", withHeader({ x5c: ["MIIB"] })],
    ["header crit", withHeader({ crit: ["exp"], exp: 1 })],
    ["header b64 false", withHeader({ b64: false, crit: ["b64"] })],
    ["header zip", withHeader({ zip: "DEF" })],
    ["header enc (a JWE)", withHeader({ enc: "A256GCM" })],
    ["header cty", withHeader({ cty: "JWT" })],
    ["header __proto__", signed(b64(`{"alg":"EdDSA","typ":"at+jwt","kid":"${KID}","__proto__":{"x":1}}`), P)],
    ["header an array", signed(enc([HEADER]), P)],
    ["header null", signed(enc(null), P)],
    ["header a string", signed(enc("EdDSA"), P)],
    ["header empty object", signed(enc({}), P)],
    // typ.
    ["typ JWT", withHeader({ typ: "JWT" })],
    ["typ jwt", withHeader({ typ: "jwt" })],
    ["typ empty", withHeader({ typ: "" })],
    ["typ null", withHeader({ typ: null })],
    ["typ a number", withHeader({ typ: 1 })],
    ["typ with a trailing space", withHeader({ typ: "at+jwt " })],
    ["typ dpop+jwt", withHeader({ typ: "dpop+jwt" })],
    ["missing typ", withoutHeader("typ")],
    // Segments.
    ["empty string", ""],
    ["one segment", H],
    ["two segments", `${H}.${P}`],
    ["four segments", `${VALID}.${S}`],
    ["five segments (JWE shape)", `${H}.${P}.${S}.${S}.${S}`],
    ["only dots", ".."],
    ["empty header", `.${P}.${S}`],
    ["empty payload", `${H}..${S}`],
    ["empty signature", `${H}.${P}.`],
    // Encoding.
    ["padding on the signature", `${VALID}=`],
    ["double padding on the signature", `${VALID}==`],
    ["padding on the header", `${H}=.${P}.${S}`],
    ["padding on the payload", `${H}.${P}=.${S}`],
    ["'+' in the signature", `${H}.${P}.+${S.slice(1)}`],
    ["'/' in the signature", `${H}.${P}./${S.slice(1)}`],
    ["'+' in the header", `+${H.slice(1)}.${P}.${S}`],
    ["'/' in the payload", `${H}./${P.slice(1)}.${S}`],
    ["standard base64 segments", [H, P, S].map((s) => Buffer.from(s, "base64url").toString("base64")).join(".")],
    ["stray bits in the last signature character", strayBits],
    ["leading space", ` ${VALID}`],
    ["trailing space", `${VALID} `],
    ["trailing newline", `${VALID}\n`],
    ["space inside the signature", `${H}.${P}.${S.slice(0, 10)} ${S.slice(10)}`],
    ["tab inside the header", `${H.slice(0, 5)}\t${H.slice(5)}.${P}.${S}`],
    ["CRLF inside the payload", `${H}.${P.slice(0, 5)}\r\n${P.slice(5)}.${S}`],
    ["non-ASCII letter in the signature", `${H}.${P}.é${S.slice(1)}`],
    ["percent-encoding in the signature", `${H}.${P}.%41${S.slice(3)}`],
    // Signature shape and tampering.
    ["signature of 63 bytes", `${H}.${P}.${Buffer.from(S, "base64url").subarray(0, 63).toString("base64url")}`],
    ["signature of 65 bytes", `${H}.${P}.${Buffer.concat([Buffer.from(S, "base64url"), Buffer.from([0])]).toString("base64url")}`],
    ["signature of zeros", `${H}.${P}.${Buffer.alloc(64).toString("base64url")}`],
    ["signature of another token", `${H}.${enc({ ...CLAIMS, entityId: "bravo" })}.${S}`],
    ["payload changed after signing", `${H}.${enc({ ...CLAIMS, entityId: "bravo" })}.${sigOf(`${H}.${P}`)}`],
    ["header changed after signing", `${enc({ ...HEADER, kid: OTHER_KID })}.${P}.${S}`],
    ["malleated signature (S + L)", malleated],
    // Bad UTF-8 and non-JSON (validly signed, so that the parser is what refuses them).
    ["bad UTF-8 in the header (0xff)", signed(badUtf8(headerPrefix, `"}`, [0xff]), P)],
    ["bad UTF-8 in the payload (0xff)", signed(enc(HEADER), badUtf8(claimsPrefix, `"}`, [0xff]))],
    ["overlong UTF-8 in the payload", signed(enc(HEADER), badUtf8(claimsPrefix, `"}`, [0xc0, 0xaf]))],
    ["UTF-8 surrogate in the payload", signed(enc(HEADER), badUtf8(claimsPrefix, `"}`, [0xed, 0xa0, 0x80]))],
    ["truncated UTF-8 in the payload", signed(enc(HEADER), badUtf8(claimsPrefix, `"}`, [0xe2, 0x82]))],
    ["non-JSON header", signed(b64("not json"), P)],
    ["non-JSON payload", rawClaims("not json")],
    ["JSON with trailing garbage", rawClaims(`${JSON.stringify(CLAIMS)}x`)],
    ["JSON with a comment", rawClaims(`${JSON.stringify(CLAIMS)}/* c */`)],
    ["array payload", make(HEADER, [CLAIMS])],
    ["null payload", make(HEADER, null)],
    ["string payload", make(HEADER, JSON.stringify(CLAIMS))],
    ["number payload", make(HEADER, 1)],
    ["empty object payload", make(HEADER, {})],
    // Times.
    ["exp as string", withClaims({ exp: String(NOW + 3600) })],
    ["exp as float", withClaims({ exp: NOW + 3600.5 })],
    ["exp negative", withClaims({ exp: -1 })],
    ["exp 1e400 (Infinity)", rawClaims(claimsText("exp", "1e400"))],
    ["exp -1e400", rawClaims(claimsText("exp", "-1e400"))],
    ["exp above 2^53", rawClaims(claimsText("exp", "9007199254740993"))],
    ["exp 2^53", withClaims({ exp: 2 ** 53 })],
    ["exp 1e20", withClaims({ exp: 1e20 })],
    ["exp null", withClaims({ exp: null })],
    ["exp true", withClaims({ exp: true })],
    ["exp an array", withClaims({ exp: [NOW] })],
    ["exp an object", withClaims({ exp: { $gt: 0 } })],
    ["iat as string", withClaims({ iat: String(NOW) })],
    ["iat as float", withClaims({ iat: NOW + 0.25 })],
    ["iat negative", withClaims({ iat: -5 })],
    ["iat 1e400 (Infinity)", rawClaims(claimsText("iat", "1e400"))],
    ["iat above 2^53", rawClaims(claimsText("iat", "18014398509481984"))],
    ["iat null", withClaims({ iat: null })],
    ["missing iat", withoutClaim("iat")],
    // Identity claims.
    ["missing sub", withoutClaim("sub")],
    ["sub a number", withClaims({ sub: 1, client_id: 1 })],
    ["sub with a slash", withClaims({ sub: "tok/../x", client_id: "tok/../x" })],
    ["sub too long", withClaims({ sub: "t".repeat(65), client_id: "t".repeat(65) })],
    ["client_id not the sub", withClaims({ client_id: "tok_other" })],
    ["missing client_id", withoutClaim("client_id")],
    ["missing jti", withoutClaim("jti")],
    ["jti empty", withClaims({ jti: "" })],
    ["jti with a quote", withClaims({ jti: "key'--" })],
    ["entityType user", withClaims({ entityType: "user" })],
    ["missing entityType", withoutClaim("entityType")],
    ["entityId a number", withClaims({ entityId: 7 })],
    ["missing entityId", withoutClaim("entityId")],
    // An issuer or audience that is no string names nothing: the plain refusal.
    ["iss as an array", withClaims({ iss: [expected.iss] })],
    ["missing iss", withoutClaim("iss")],
    ["aud as an array of another audience", withClaims({ aud: ["http://old.test/v1"] })],
    ["missing aud", withoutClaim("aud")],
  ];

  it.each(cases)("%s", (_name, token) => {
    expectInvalid(token);
  });

  // Signed by our own key for another issuer or audience (LATCHKEY_ISSUER changed): refused, and the reason named.
  const claimCases: [string, string, "issuer" | "audience"][] = [
    ["wrong iss", withClaims({ iss: "http://old.test" }), "issuer"],
    ["iss with a trailing slash", withClaims({ iss: `${expected.iss}/` }), "issuer"],
    ["iss in another case", withClaims({ iss: expected.iss.toUpperCase() }), "issuer"],
    ["wrong aud", withClaims({ aud: "http://old.test/v1" }), "audience"],
    ["aud equal to iss", withClaims({ aud: expected.iss }), "audience"],
  ];

  it.each(claimCases)("%s: refused, naming the %s", (_name, token, claim) => {
    const error = refusal(() => verifyJwt(token, keyFor, expected));
    expect(error.code).toBe("TOKEN_INVALID");
    expect(error.status).toBe(401);
    expect(error.message).toContain(`issued for ${claim}`);
    expect(error.message).toContain(claim === "issuer" ? expected.iss : expected.aud);
    expect(error.message).toContain("latchkey login");
    expect(error.details).toMatchObject({ reason: claim, expected: claim === "issuer" ? expected.iss : expected.aud });
  });

  it("says nothing about the issuer of a token whose signature fails", () => {
    const forged = withClaims({ iss: "http://old.test" }).split(".");
    forged[2] = Buffer.alloc(64).toString("base64url");
    expectInvalid(forged.join("."));
  });

  it("refuses a malformed kid before any key lookup", () => {
    const lookup = vi.fn(keyFor);
    for (const kid of ["../../../etc/passwd", "x';--", `${KID}\u0000`, "a".repeat(10 * 1024), ""]) {
      expectInvalid(withHeader({ kid }), lookup);
    }
    expect(lookup).not.toHaveBeenCalled();
  });

  it("refuses the structural cases in splitToken already", () => {
    for (const token of [
      "",
      `${H}.${P}`,
      `${VALID}.${S}`,
      `${H}.${P}.`,
      `${VALID}=`,
      ` ${VALID}`,
      withHeader({ alg: "none" }),
      withHeader({ typ: "JWT" }),
      withHeader({ jku: "https://evil.test" }),
      withHeader({ kid: "../x" }),
      HS256(publicPem),
    ]) {
      expect(refusal(() => splitToken(token)).code).toBe("TOKEN_INVALID");
    }
  });

  it("refuses every single-character substitution of a valid token", () => {
    const alphabet = ["A", "f", "0", "-", "_", "."];
    let tried = 0;
    for (let i = 0; i < VALID.length; i++) {
      for (const c of alphabet) {
        if (VALID[i] === c) continue;
        tried++;
        expectInvalid(`${VALID.slice(0, i)}${c}${VALID.slice(i + 1)}`);
      }
    }
    expect(tried).toBeGreaterThan(VALID.length * 4);
  });

  it("refuses any truncation of a valid token", () => {
    for (let n = 0; n < VALID.length; n++) expectInvalid(VALID.slice(0, n));
  });

  it("refuses random garbage without throwing anything else", () => {
    const junk = ["\u0000", "a.b.c", "...", "e30.e30.e30", "e30.e30.", "null.null.null", "eyJ.eyJ.eyJ", "%00.%00.%00", "\uD800.x.y"];
    for (const token of junk) expectInvalid(token);
    for (let i = 0; i < 200; i++) {
      const bytes = Buffer.alloc(1 + (i % 120));
      for (let j = 0; j < bytes.length; j++) bytes[j] = (i * 31 + j * 17) % 256;
      expectInvalid(`${b64(bytes)}.${b64(bytes.subarray(1))}.${b64(Buffer.concat([bytes, bytes]).subarray(0, 64))}`);
    }
  });
});
