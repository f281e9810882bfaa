import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { findTokens, isTokenShaped, maskToken, TOKEN_PATTERN_SOURCE, TOKEN_PREFIX, tokenRegExp, unverifiedIssuer } from "@latchkey/core";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../test-support/harness.js";

interface Created {
  apiToken: { id: string };
  token: string;
}

// The regular expression the README documents ("Recognising leaked tokens"), read from it.
const README_PATTERN = /\n(eyJhbGci[^\n]+)\n/.exec(readFileSync(new URL("../../../../README.md", import.meta.url), "utf8"))?.[1] ?? "";

describe("the shape of a Latchkey token", () => {
  let h: Harness;
  const issued: string[] = [];

  beforeAll(async () => {
    h = await startHarness("sqlite");
    await h.owner.ok("POST", "/v1/teams", { name: "Platform" });
    await h.owner.ok("POST", "/v1/orgs", { name: "Acme" });
    const mint = async (path: string, body: Record<string, unknown>) =>
      issued.push((await h.owner.ok<Created>("POST", `${path}/tokens`, body)).token);
    const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString();
    await mint("/v1/teams/platform", { name: "no expiry", roleId: "default" });
    await mint("/v1/teams/platform", { name: "a day", roleId: "admin", expiresAt: day(1) });
    await mint("/v1/teams/platform", {
      name: "owner, ten years",
      roleId: "owner",
      expiresAt: day(3650),
      description: "é ✓ long ".repeat(20),
    });
    await mint("/v1/orgs/acme", { name: "org admin", roleId: "admin" });
    const org = await h.owner.ok<Created>("POST", "/v1/orgs/acme/tokens", { name: "org member", roleId: "member", expiresAt: day(30) });
    issued.push(org.token);
    // A new key of a token, and tokens signed after the signing key was rotated.
    issued.push((await h.owner.ok<{ token: string }>("POST", `/v1/orgs/acme/tokens/${org.apiToken.id}/keys`, {})).token);
    await h.services.keys.rotate();
    await mint("/v1/teams/platform", { name: "after rotation", roleId: "default" });
    await mint("/v1/orgs/acme", { name: "org after rotation", roleId: "owner", expiresAt: day(7) });
  });
  afterAll(() => h.close());

  it("matches every token the server issues, whole and inside text", () => {
    expect(issued.length).toBe(8);
    for (const token of issued) {
      expect(isTokenShaped(token), token).toBe(true);
      expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
      const text = `export LATCHKEY_TOKEN="${token}"\nAuthorization: Bearer ${token}\n`;
      expect(findTokens(text).map((f) => f.token)).toEqual([token, token]);
    }
    expect(README_PATTERN).toBe(TOKEN_PATTERN_SOURCE);
    // The README's pattern compiles without lookbehind support (PCRE, RE2) and finds the same.
    const plain = new RegExp(README_PATTERN, "g");
    expect(issued.join(" ").match(plain)).toEqual(issued);
  });

  it("matches no JWT of another issuer, nor a truncated or extended Latchkey token", async () => {
    const ed = generateKeyPairSync("ed25519").privateKey;
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const claims = { iss: "https://other.example", sub: "user", aud: "api" };
    const foreign = [
      await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode("x".repeat(32))),
      await new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode("x".repeat(32))),
      await new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: "sig_AAAAAAAAAAAAAAAA" }).sign(rsa),
      await new SignJWT(claims).setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: "k1" }).sign(ec),
      await new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", typ: "JWT", kid: "sig_AAAAAAAAAAAAAAAA" }).sign(ed),
      await new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", kid: "sig_AAAAAAAAAAAAAAAA", typ: "at+jwt" }).sign(ed),
      // Same header as ours with a longer or shorter key id.
      await new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid: "sig_AAAAAAAAAAAAAAAAAAAA" }).sign(ed),
      await new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid: "sig_AAAAAAAAAAAA" }).sign(ed),
      await new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid: "key_AAAAAAAAAAAAAAAA" }).sign(ed),
    ];
    for (const jwt of foreign) {
      expect(isTokenShaped(jwt), jwt).toBe(false);
      expect(findTokens(`token: ${jwt}`)).toEqual([]);
    }
    const ours = issued[0] ?? "";
    const [header, payload, signature] = ours.split(".") as [string, string, string];
    for (const near of [
      ours.slice(0, -1),
      `${ours}A`,
      `A${ours}`,
      `${header}.${payload}`,
      `${header}.${payload}.${signature.slice(0, -2)}`,
      ours.replace(/\./g, ""),
    ]) {
      expect(isTokenShaped(near)).toBe(false);
      expect(findTokens(near)).toEqual([]);
    }
    expect(findTokens("eyJhbGciOiJIUzI1NiJ9 random words sig_ In0 " + "A".repeat(500))).toEqual([]);
  });

  it("masks a token and reads its issuer without trusting it", () => {
    const token = issued[0] ?? "";
    expect(maskToken(token)).toBe(`${token.slice(0, 12)}…${token.slice(-4)}`);
    expect(maskToken(token)).not.toContain(token.split(".")[2]);
    expect(unverifiedIssuer(token)).toBe("http://latchkey.test");
    expect(unverifiedIssuer("a.b.c")).toBeUndefined();
    expect(tokenRegExp().flags).toBe("g");
  });
});
