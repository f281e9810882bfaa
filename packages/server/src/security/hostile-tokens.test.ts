import { createHmac, createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { validateHeaderValue } from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../test-support/databases.js";
import { OWNER_EMAIL, OWNER_PASSWORD, startHarness, type Harness } from "../test-support/harness.js";
import { listen, loopback, rawRequest, remote, stolenSigningKey } from "./support.js";

// Issue #7, item 1: every known class of hostile JWT, presented to the real HTTP stack. Each must be a 401 (never a
// 5xx, never another 4xx that would tell a forger which check failed), change nothing, and leave the process healthy.
// Many of these are signed with the instance's own private key (as if it had been stolen): the server accepts only
// the exact strings it issued (their SHA-256 is stored), so even a perfect signature over anything else is refused.

const b64 = (v: string | Buffer): string => Buffer.from(v).toString("base64url");
const enc = (o: unknown): string => b64(JSON.stringify(o));
const TEAM = "/v1/teams/alpha";

interface Case {
  name: string;
  token: string;
}

/** Builds the corpus around one valid token of the instance and its (stolen) signing key. */
function corpus(valid: string, kid: string, key: KeyObject, publicJwk: Record<string, unknown>): Case[] {
  const [H, P, S] = valid.split(".") as [string, string, string];
  const header = JSON.parse(Buffer.from(H, "base64url").toString()) as Record<string, unknown>;
  const claims = JSON.parse(Buffer.from(P, "base64url").toString()) as Record<string, unknown>;
  const sigOf = (input: string, k: KeyObject = key): string => b64(sign(null, Buffer.from(input), k));
  /** Header and claims as given, signed with the instance's key unless another is named. */
  const signed = (h: string, p: string, k: KeyObject = key): string => `${h}.${p}.${sigOf(`${h}.${p}`, k)}`;
  const withHeader = (patch: Record<string, unknown>, k?: KeyObject): string => signed(enc({ ...header, ...patch }), P, k);
  const withoutHeader = (field: string): string => signed(enc(Object.fromEntries(Object.entries(header).filter(([f]) => f !== field))), P);
  const withClaims = (patch: Record<string, unknown>): string => signed(H, enc({ ...claims, ...patch }));
  /** Claims whose JSON is written by hand: numbers and duplicates JSON.stringify cannot produce. */
  const claimsText = (extra: string): string => signed(H, b64(`${JSON.stringify(claims).slice(0, -1)},${extra}}`));
  const rawClaim = (field: string, literal: string): string => {
    const rest = JSON.stringify(Object.fromEntries(Object.entries(claims).filter(([f]) => f !== field)));
    return signed(H, b64(`${rest.slice(0, -1)},"${field}":${literal}}`));
  };
  const hs256 = (secret: string | Buffer, alg = "HS256"): string => {
    const h = enc({ ...header, alg });
    return `${h}.${P}.${b64(
      createHmac(alg === "HS512" ? "sha512" : "sha256", secret)
        .update(`${h}.${P}`)
        .digest(),
    )}`;
  };
  const foreign = generateKeyPairSync("ed25519");
  const foreignJwk = foreign.publicKey.export({ format: "jwk" });
  const jwkText = JSON.stringify(publicJwk);
  // The public key as a forger would rebuild it from the published JWKS.
  const published = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: String(publicJwk["x"]) }, format: "jwk" });
  const pem = String(published.export({ format: "pem", type: "spki" }));
  const ourPublic = { kty: "OKP", crv: "Ed25519", x: publicJwk["x"] };
  const now = Math.floor(Date.now() / 1000);
  const bytes = (prefix: string, raw: number[], suffix: string): string =>
    b64(Buffer.concat([Buffer.from(prefix), Buffer.from(raw), Buffer.from(suffix)]));
  const claimsPrefix = `${JSON.stringify(claims).slice(0, -1)},"x":"`;
  const headerPrefix = `${JSON.stringify(header).slice(0, -1)},"x":"`;
  const L = (1n << 252n) + 27742317777372353535851937790883648493n;
  const sig = Buffer.from(S, "base64url");
  const sPlusL = Buffer.from(
    (BigInt(`0x${Buffer.from(sig.subarray(32)).reverse().toString("hex")}`) + L).toString(16).padStart(64, "0"),
    "hex",
  ).reverse();

  const cases: [string, string][] = [
    // alg none, in any case, with and without a signature; missing and unknown algorithms.
    ...["none", "None", "NONE", "nOnE", "nONE"].flatMap((alg): [string, string][] => [
      [`alg ${alg}, empty signature`, `${enc({ ...header, alg })}.${P}.`],
      [`alg ${alg}, signature kept`, withHeader({ alg })],
    ]),
    ["alg none without kid or typ", `${enc({ alg: "none" })}.${P}.`],
    ["missing alg", withoutHeader("alg")],
    ["alg null", withHeader({ alg: null })],
    ["alg empty", withHeader({ alg: "" })],
    ["alg as array", withHeader({ alg: ["EdDSA"] })],
    ...["eddsa", "EDDSA", "Ed25519", "Ed448", "ES256", "ES256K", "RS256", "PS256", "HS256", "EdDSA\u0000", "EdDSA "].map(
      (alg): [string, string] => [`alg ${JSON.stringify(alg)}`, withHeader({ alg })],
    ),
    // HS256 keyed with what is public about us.
    ["HS256 keyed with the public JWK text (as published)", hs256(jwkText)],
    ["HS256 keyed with the bare public JWK", hs256(JSON.stringify(ourPublic))],
    ["HS256 keyed with the public PEM", hs256(pem)],
    ["HS256 keyed with the public DER", hs256(published.export({ format: "der", type: "spki" }))],
    ["HS256 keyed with the raw public key bytes", hs256(Buffer.from(String(publicJwk["x"]), "base64url"))],
    ["HS256 keyed with the base64url public key", hs256(String(publicJwk["x"]))],
    ["HS512 keyed with the public PEM", hs256(pem, "HS512")],
    ["HS256 keyed with the kid", hs256(kid)],
    // Keys the token would choose for itself.
    ["a foreign Ed25519 key under our kid", withHeader({}, foreign.privateKey)],
    ["embedded jwk of a foreign key, signed by it", withHeader({ jwk: foreignJwk }, foreign.privateKey)],
    ["embedded jwk of a foreign key without kid", signed(enc({ alg: "EdDSA", typ: "at+jwt", jwk: foreignJwk }), P, foreign.privateKey)],
    ["embedded jwk of our own key", withHeader({ jwk: ourPublic })],
    ["jku to an attacker's JWKS", withHeader({ jku: "https://evil.test/.well-known/jwks.json" }, foreign.privateKey)],
    ["jku to our own JWKS", withHeader({ jku: "http://latchkey.test/.well-known/jwks.json" })],
    ["x5u", withHeader({ x5u: "https://evil.test/cert.pem" }, foreign.privateKey)],
    ["x5c", withHeader({ x5c: ["MIIBszCCAVmgAwIBAgIUV"] }, foreign.privateKey)],
    ["x5t", withHeader({ x5t: "dGVzdA" })],
    // kid.
    ["kid traversal", withHeader({ kid: "../../../../etc/passwd" })],
    ["kid traversal to /dev/null", withHeader({ kid: "../../../../../../dev/null" })],
    ["kid traversal, encoded", withHeader({ kid: "..%2f..%2f..%2fetc%2fpasswd" })],
    ["kid SQL injection", withHeader({ kid: `${kid}' OR '1'='1` })],
    ["kid SQL union", withHeader({ kid: "x' UNION SELECT 'AAAA' --" })],
    ["kid NUL", withHeader({ kid: `${kid}\u0000` })],
    ["kid NUL prefix", withHeader({ kid: `\u0000${kid}` })],
    ["kid 10 KB", withHeader({ kid: "k".repeat(10 * 1024) })],
    ["kid number", withHeader({ kid: 1 })],
    ["kid object", withHeader({ kid: { $ne: null } })],
    ["kid __proto__", withHeader({ kid: "__proto__" })],
    ["kid empty", withHeader({ kid: "" })],
    ["kid in another case", withHeader({ kid: kid.toUpperCase() })],
    ["missing kid", withoutHeader("kid")],
    // crit and other header extensions.
    ["crit exp", withHeader({ crit: ["exp"], exp: now + 60 })],
    ["crit b64 false", withHeader({ crit: ["b64"], b64: false })],
    ["crit empty list", withHeader({ crit: [] })],
    ["crit unknown", withHeader({ crit: ["urn:evil"], "urn:evil": true })],
    ["zip DEF", withHeader({ zip: "DEF" })],
    ["enc (a JWE header)", withHeader({ enc: "A256GCM" })],
    ["cty JWT (nested)", withHeader({ cty: "JWT" })],
    // Segments.
    ["empty", ""],
    ["one segment", H],
    ["two segments", `${H}.${P}`],
    ["two segments with a trailing dot", `${H}.${P}.`],
    ["four segments", `${valid}.${S}`],
    ["four segments, empty last", `${valid}.`],
    ["five segments (JWE shape)", `${H}.${P}.${S}.${S}.${S}`],
    ["five segments, JWE header", `${enc({ alg: "dir", enc: "A256GCM", kid })}..${S}.${P}.${S}`],
    ["empty signature", `${H}.${P}.`],
    ["empty header", `.${P}.${S}`],
    ["empty payload", `${H}..${S}`],
    ["dots only", ".."],
    // JSON serialization instead of compact.
    ["JWS JSON flattened", JSON.stringify({ payload: P, protected: H, signature: S })],
    ["JWS JSON general", JSON.stringify({ payload: P, signatures: [{ protected: H, signature: S }] })],
    ["JWS JSON flattened, base64url", b64(JSON.stringify({ payload: P, protected: H, signature: S }))],
    ["JWS JSON with unprotected header", JSON.stringify({ payload: P, protected: H, header: { kid }, signature: S })],
    // Non-canonical base64url.
    ["signature padded", `${valid}==`],
    ["header padded", `${H}=.${P}.${S}`],
    ["payload padded", `${H}.${P}=.${S}`],
    ["standard base64 alphabet", [H, P, S].map((s) => Buffer.from(s, "base64url").toString("base64").replace(/=+$/, "")).join(".")],
    ["standard base64, padded", [H, P, S].map((s) => Buffer.from(s, "base64url").toString("base64")).join(".")],
    ["'+' in the signature", `${H}.${P}.+${S.slice(1)}`],
    ["'/' in the header", `/${H.slice(1)}.${P}.${S}`],
    ["stray bits in the last character", `${H}.${P}.${S.slice(0, -1)}${S.endsWith("A") ? "B" : "A"}`],
    ["percent-encoded", encodeURIComponent(valid).replace(/\./g, "%2E")],
    ["signature S + L (malleated)", `${H}.${P}.${b64(Buffer.concat([sig.subarray(0, 32), sPlusL]))}`],
    ["signature truncated to 63 bytes", `${H}.${P}.${b64(sig.subarray(0, 63))}`],
    ["signature with a byte more", `${H}.${P}.${b64(Buffer.concat([sig, Buffer.from([0])]))}`],
    ["signature of zeros", `${H}.${P}.${b64(Buffer.alloc(64))}`],
    ["header and payload swapped", `${P}.${H}.${S}`],
    // Bad UTF-8, validly signed.
    ["0xff in the payload", signed(H, bytes(claimsPrefix, [0xff], `"}`))],
    ["overlong '/' in the payload", signed(H, bytes(claimsPrefix, [0xc0, 0xaf], `"}`))],
    ["lone surrogate in the payload", signed(H, bytes(claimsPrefix, [0xed, 0xa0, 0x80], `"}`))],
    ["truncated sequence in the payload", signed(H, bytes(claimsPrefix, [0xe2, 0x82], `"}`))],
    ["0xfe in the header", signed(bytes(headerPrefix, [0xfe], `"}`), P)],
    [
      "UTF-8 BOM before the payload JSON",
      signed(H, b64(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(claims))]))),
    ],
    ["UTF-16 payload", signed(H, b64(Buffer.from(JSON.stringify(claims), "utf16le")))],
    // exp, nbf, iat.
    ...(["exp", "iat", "nbf"] as const).flatMap((f): [string, string][] => [
      [`${f} a string`, withClaims({ [f]: String(now + 60) })],
      [`${f} a float`, withClaims({ [f]: now + 60.5 })],
      [`${f} negative`, withClaims({ [f]: -1 })],
      [`${f} 1e400`, rawClaim(f, "1e400")],
      [`${f} -1e400`, rawClaim(f, "-1e400")],
      [`${f} 2^53 + 1`, rawClaim(f, "9007199254740993")],
      [`${f} 2^64`, rawClaim(f, "18446744073709551616")],
      [`${f} null`, withClaims({ [f]: null })],
      [`${f} an object`, withClaims({ [f]: { $gt: 0 } })],
      [`${f} now`, withClaims({ [f]: now })],
      [`${f} now - 30 s (inside a usual leeway)`, withClaims({ [f]: now - 30 })],
      [`${f} now + 30 s (inside a usual leeway)`, withClaims({ [f]: now + 30 })],
    ]),
    ["exp removed (a token that never expires)", signed(H, enc(Object.fromEntries(Object.entries(claims).filter(([f]) => f !== "exp"))))],
    ["exp far in the future", withClaims({ exp: now + 100 * 365 * 86_400 })],
    // Duplicate claims and prototype pollution.
    ["duplicate sub", claimsText(`"sub":"tok_other","client_id":"tok_other"`)],
    ["duplicate entityId", claimsText(`"entityId":"bravo"`)],
    ["duplicate jti", claimsText(`"jti":"key_other"`)],
    ["duplicate exp", claimsText(`"exp":${now + 10 * 365 * 86_400}`)],
    ["duplicate alg in the header", signed(b64(`{"alg":"none",${JSON.stringify(header).slice(1)}`), P)],
    ["__proto__ in the claims", claimsText(`"__proto__":{"entityType":"org","admin":true}`)],
    ["constructor in the claims", claimsText(`"constructor":{"prototype":{"admin":true}}`)],
    ["__proto__ in the header", signed(b64(`${JSON.stringify(header).slice(0, -1)},"__proto__":{"alg":"none"}}`), P)],
    // Other audiences, issuers and token types.
    ["another issuer", withClaims({ iss: "https://evil.test" })],
    ["issuer with a trailing slash", withClaims({ iss: `${String(claims["iss"])}/` })],
    ["issuer as an array", withClaims({ iss: [claims["iss"]] })],
    ["another audience", withClaims({ aud: "https://other-api.test" })],
    ["audience as an array holding ours", withClaims({ aud: [claims["aud"], "https://other-api.test"] })],
    ["audience the issuer", withClaims({ aud: claims["iss"] })],
    ["typ JWT (an ID token's)", withHeader({ typ: "JWT" })],
    ["typ application/at+jwt", withHeader({ typ: "application/at+jwt" })],
    ["typ AT+JWT", withHeader({ typ: "AT+JWT" })],
    ["typ dpop+jwt", withHeader({ typ: "dpop+jwt" })],
    ["typ missing", withoutHeader("typ")],
    ["entityType org on a team token", withClaims({ entityType: "org" })],
    ["another team", withClaims({ entityId: "bravo" })],
    ["client_id not the subject", withClaims({ client_id: "tok_other" })],
    ["scope and permissions claims added", withClaims({ scope: "admin", permissions: ["*"] })],
    ["subject of a user", withClaims({ sub: "usr_owner", client_id: "usr_owner" })],
    // Sizes.
    ["megabyte token", `${H}.${b64("x".repeat(768 * 1024))}.${S}`],
    ["64 KB payload, validly signed", signed(H, b64(`${JSON.stringify(claims).slice(0, -1)},"pad":"${"p".repeat(48 * 1024)}"}`))],
    ["10 000 segments", Array.from({ length: 10_000 }, () => "e30").join(".")],
  ];
  // A re-signed edge value equal to the issued one ("iat now" in the second the token was issued) is the valid token
  // itself, rightly accepted: it is no case.
  return cases.filter(([, token]) => token !== valid).map(([name, token]) => ({ name, token }));
}

/** Every character a mutation may put into a token. */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ %";

describe.each(dialects())("hostile tokens on %s", (kind) => {
  let h: Harness;
  let clock = Date.now();
  let valid: string;
  let key: { kid: string; privateKey: KeyObject };
  let cases: Case[];
  let n = 0;
  /** A request with a bearer credential, each from an address of its own. */
  const call = async (token: string, method: "GET" | "POST" = "GET", url = "/v1/auth", payload?: unknown) => {
    const res = await h.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}` },
      remoteAddress: remote(++n),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
    return { status: res.statusCode, body: res.body, headers: res.headers };
  };
  /** What is wrong with a reply to a hostile token, or null when it is the expected 401. */
  const problem = (res: { status: number; body: string; headers: Record<string, unknown> }, token: string): string | null => {
    if (res.status !== 401) return `status ${res.status}: ${res.body.slice(0, 200)}`;
    const code = (JSON.parse(res.body) as { error: { code: string } }).error.code;
    if (code !== "TOKEN_INVALID") return `code ${code}`;
    // An empty credential ("Bearer " trimmed by the HTTP parser to "Bearer") gets the plain challenge; any other the error.
    const challenge = token === "" ? /^Bearer / : /^Bearer error="invalid_token"$/;
    if (!challenge.test(String(res.headers["www-authenticate"]))) return "no bearer challenge";
    const signature = token.split(".")[2] ?? "";
    if (signature.length >= 16 && res.body.includes(signature)) return "the reply echoes the token";
    return null;
  };

  beforeAll(async () => {
    h = await startHarness(kind, {}, { now: () => new Date(clock) });
    await h.owner.ok("POST", "/v1/teams", { name: "Alpha" });
    await h.owner.ok("POST", "/v1/teams", { name: "Bravo" });
    const expiresAt = new Date(clock + 30 * 86_400_000).toISOString();
    valid = (await h.owner.ok<{ token: string }>("POST", `${TEAM}/tokens`, { name: "valid", roleId: "owner", expiresAt })).token;
    key = await stolenSigningKey(h);
    const jwk = h.services.keys.jwks().keys.find((k) => k["kid"] === key.kid) ?? {};
    cases = corpus(valid, key.kid, key.privateKey, jwk);
  });
  afterAll(() => h.close());

  it("the valid token works, and the corpus covers every class", async () => {
    expect((await call(valid)).status).toBe(200);
    expect(cases.length).toBeGreaterThan(150);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    expect(new Set(cases.map((c) => c.token)).has(valid)).toBe(false);
  });

  it("refuses every hostile token with 401 TOKEN_INVALID on reads and writes, and changes nothing", async () => {
    const tokensBefore = await h.owner.ok<{ apiTokens: unknown[] }>("GET", `${TEAM}/tokens?all=true`);
    const failures: string[] = [];
    for (const [i, c] of cases.entries()) {
      for (const res of [
        await call(c.token),
        await call(c.token, "POST", `${TEAM}/projects`, { name: `pwned-${i}` }),
        await call(c.token, "POST", "/v1/projects", { name: `pwned-${i}` }),
        await call(c.token, "POST", `${TEAM}/tokens`, { name: "more", roleId: "owner" }),
      ]) {
        const why = problem(res, c.token);
        if (why) failures.push(`${c.name}: ${why}`);
      }
    }
    expect(failures).toEqual([]);
    const projects = await h.owner.ok<{ projects: { id: string }[] }>("GET", `${TEAM}/projects`);
    expect(projects.projects.filter((p) => p.id.startsWith("pwned"))).toEqual([]);
    expect(await h.owner.ok("GET", `${TEAM}/tokens?all=true`)).toEqual(tokensBefore);
  });

  it("over a real socket: 401 for each, 431 only where the header itself is too large, and the process stays healthy", async () => {
    const port = await listen(h);
    const failures: string[] = [];
    for (const [i, c] of cases.entries()) {
      const authorization = `Bearer ${c.token}`;
      validateHeaderValue("authorization", authorization);
      const res = await rawRequest(port, { path: "/v1/auth", headers: { authorization }, localAddress: loopback(i + 1) });
      const expected = authorization.length > 16 * 1024 ? 431 : 401;
      if (res.status !== expected) failures.push(`${c.name}: ${res.status} (expected ${expected})`);
      else if (expected === 401) {
        const why = problem({ status: res.status, body: res.body, headers: res.headers }, c.token);
        if (why) failures.push(`${c.name}: ${why}`);
      }
    }
    expect(failures).toEqual([]);
    expect((await rawRequest(port, { path: "/healthz" })).status).toBe(200);
    expect((await rawRequest(port, { path: "/readyz" })).status).toBe(200);
    expect((await rawRequest(port, { path: "/v1/auth", headers: { authorization: `Bearer ${valid}` } })).status).toBe(200);
  });

  it("other kinds of credential are not API tokens: session ids, CSRF tokens, invitations, another instance's tokens", async () => {
    const signIn = await h.app.inject({ method: "POST", url: "/v1/session", payload: { email: OWNER_EMAIL, password: OWNER_PASSWORD } });
    const sessionId = signIn.cookies.find((c) => c.name === "latchkey_session")?.value ?? "";
    const csrf = (JSON.parse(signIn.body) as { data: { csrfToken: string } }).data.csrfToken;
    const invited = await h.owner.ok<{ invitation: { inviteUrl: string } }>("POST", `${TEAM}/members`, {
      email: "someone@example.com",
      roles: ["default"],
    });
    const invitation = new URL(invited.invitation.inviteUrl).searchParams.get("token") ?? "";
    const other = await startHarness("sqlite");
    try {
      await other.owner.ok("POST", "/v1/teams", { name: "Alpha" });
      const foreign = (await other.owner.ok<{ token: string }>("POST", `${TEAM}/tokens`, { name: "x", roleId: "owner" })).token;
      expect((await other.client({ bearer: foreign }).get("/v1/auth")).status).toBe(200);
      const failures: string[] = [];
      for (const [name, token] of [
        ["a session id", sessionId],
        ["a CSRF token", csrf],
        ["an invitation token", invitation],
        ["the same team's token from another instance (same issuer URL, other keys)", foreign],
        ["a JWKS document", JSON.stringify(h.services.keys.jwks())],
      ] as const) {
        const why = problem(await call(token), token);
        if (why) failures.push(`${name}: ${why}`);
      }
      expect(failures).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it("expires at exp to the millisecond, with no leeway, cached or not", async () => {
    const start = Math.ceil(clock / 1000) * 1000 + 1000;
    clock = start;
    const created = await h.owner.ok<{ token: string }>("POST", `${TEAM}/tokens`, {
      name: "short",
      roleId: "default",
      expiresAt: new Date(start + 60_000).toISOString(),
    });
    const exp = (JSON.parse(Buffer.from(created.token.split(".")[1] ?? "", "base64url").toString()) as { exp: number }).exp;
    expect(exp * 1000).toBe(start + 60_000);
    clock = exp * 1000 - 1;
    expect((await call(created.token)).status).toBe(200);
    expect((await call(created.token)).status).toBe(200);
    for (const at of [exp * 1000, exp * 1000 + 1, exp * 1000 + 30_000, exp * 1000 + 86_400_000]) {
      clock = at;
      const res = await call(created.token);
      expect(res.status, String(at - exp * 1000)).toBe(401);
      expect(res.body).toContain("TOKEN_EXPIRED");
    }
    // A clock turned back does not resurrect an expired token for good: it is the clock that decides, every time.
    clock = Date.now();
  });

  describe("properties (fast-check)", () => {
    const refusedAlways = async (token: string): Promise<boolean> => {
      const res = await call(token);
      return problem(res, token) === null;
    };

    it("no character-level mutation of a valid token is accepted", async () => {
      const mutation = fc.record({
        edits: fc.array(
          fc.record({
            at: fc.nat(),
            op: fc.constantFrom("replace", "insert", "delete"),
            ch: fc.constantFrom(...ALPHABET),
          }),
          { minLength: 1, maxLength: 4 },
        ),
      });
      await fc.assert(
        fc.asyncProperty(mutation, async ({ edits }) => {
          let t = valid;
          for (const e of edits) {
            const i = e.at % (t.length + 1);
            if (e.op === "insert") t = t.slice(0, i) + e.ch + t.slice(i);
            else if (e.op === "delete") t = t.slice(0, i) + t.slice(i + 1);
            else t = t.slice(0, i) + e.ch + t.slice(i + 1);
          }
          fc.pre(t !== valid);
          return refusedAlways(t);
        }),
        { numRuns: 150 },
      );
    });

    it("no re-encoding of a valid token's header and claims is accepted, even re-signed with the instance's own key", async () => {
      const [H, P] = valid.split(".") as [string, string];
      const header = JSON.parse(Buffer.from(H, "base64url").toString()) as Record<string, unknown>;
      const claims = JSON.parse(Buffer.from(P, "base64url").toString()) as Record<string, unknown>;
      /** The same JSON value written another way. */
      const rewrite = (value: Record<string, unknown>, order: number[], space: number, escape: boolean, extra: string) => {
        const keys = Object.keys(value);
        const sorted = keys.map((k, i) => [k, order[i] ?? i] as const).sort((a, b) => a[1] - b[1]);
        let text = JSON.stringify(Object.fromEntries(sorted.map(([k]) => [k, value[k]])), null, space);
        if (escape) text = text.replace(/"([a-z])/, (_m, c: string) => `"\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
        return text.slice(0, -1) + extra + "}";
      };
      const encoding = fc.record({
        part: fc.constantFrom("header", "claims", "both"),
        order: fc.array(fc.nat(20), { minLength: 10, maxLength: 10 }),
        space: fc.constantFrom(0, 1, 2),
        escape: fc.boolean(),
        extra: fc.constantFrom("", " ", "\n", "\t"),
        pad: fc.constantFrom("", "=", "=="),
      });
      await fc.assert(
        fc.asyncProperty(encoding, async (e) => {
          const h2 = e.part === "claims" ? H : b64(rewrite(header, e.order, e.space, e.escape, e.extra));
          const p2 = e.part === "header" ? P : b64(rewrite(claims, e.order, e.space, e.escape, e.extra)) + e.pad;
          const token = `${h2}.${p2}.${b64(sign(null, Buffer.from(`${h2}.${p2}`), key.privateKey))}`;
          fc.pre(token !== valid);
          return refusedAlways(token);
        }),
        { numRuns: 120 },
      );
    });

    it("the process is healthy afterwards and the valid token still works", async () => {
      expect((await h.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
      expect((await call(valid)).status).toBe(200);
    });
  });
});
