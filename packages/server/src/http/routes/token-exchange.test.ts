import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Harness, type TestReply } from "../../test-support/harness.js";
import { startIssuer, type TestIssuer } from "../../test-support/oidc-issuer.js";
import { events } from "../../test-support/audit.js";

const EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token";
const AUDIENCE = "https://github.com/acme";
const GOOD = {
  sub: "repo:acme/api:ref:refs/heads/main",
  aud: AUDIENCE,
  repository: "acme/api",
  ref: "refs/heads/main",
  environment: "prod",
};

describe.each(dialects())("token exchange (RFC 8693) on %s", (kind) => {
  let h: Harness;
  let issuer: TestIssuer;
  let policyId: string;

  const exchange = (fields: Record<string, string>): Promise<TestReply> =>
    h.anon.request("POST", "/v1/oauth/token", new URLSearchParams(fields).toString(), {
      "content-type": "application/x-www-form-urlencoded",
    });
  const trade = (subjectToken: string) => exchange({ grant_type: EXCHANGE, subject_token: subjectToken, subject_token_type: ID_TOKEN });
  const tokenCount = async () =>
    (await h.owner.ok<{ apiTokens: unknown[] }>("GET", "/v1/teams/ci/tokens?all=true&per_page=100")).apiTokens.length;
  /** A refusal: 400 invalid_request in OAuth's form, no token minted. */
  const refused = async (subjectToken: string, description: RegExp) => {
    const before = await tokenCount();
    const res = await trade(subjectToken);
    expect(res.status).toBe(400);
    expect(res.body["error"]).toBe("invalid_request");
    expect(res.body["error_description"]).toMatch(description);
    expect(Object.keys(res.body).sort()).toEqual(["error", "error_description"]);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(await tokenCount()).toBe(before);
  };

  beforeAll(async () => {
    issuer = await startIssuer();
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/teams", { name: "CI" });
    const policy = await h.owner.ok<{ id: string }>("POST", "/v1/teams/ci/trust-policies", {
      name: "Deploy from main",
      issuer: issuer.url,
      audience: AUDIENCE,
      conditions: { repository: "acme/api", ref: "refs/heads/*" },
      roleId: "default",
      maxLifetimeSeconds: 600,
    });
    policyId = policy.id;
  });
  afterAll(async () => {
    await h.close();
    await issuer.close();
  });

  it("exchanges a CI job's ID token for an ordinary, listed, audited, revocable token of the policy's role", async () => {
    const res = await trade(await issuer.sign(GOOD));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ issued_token_type: "urn:ietf:params:oauth:token-type:access_token", token_type: "Bearer" });
    const { access_token: token, expires_in: expiresIn } = res.body as { access_token: string; expires_in: number };
    expect(expiresIn).toBeGreaterThan(590);
    expect(expiresIn).toBeLessThanOrEqual(600);
    const ci = h.client({ bearer: token });
    const self = await ci.ok<{ id: string; entityId: string; role: { id: string } }>("GET", "/v1/auth");
    expect(self).toMatchObject({ entityId: "ci", role: { id: "default" } });
    const listed = (
      await h.owner.ok<{ apiTokens: { id: string; role: { roleId: string }; expiresAt: string; creatorEmail: string }[] }>(
        "GET",
        "/v1/teams/ci/tokens",
      )
    ).apiTokens.find((t) => t.id === self.id);
    expect(listed?.role.roleId).toBe("default");
    expect(listed?.creatorEmail).toBe(`federated:${GOOD.sub}`);
    const audit = await events(h.owner, "/v1/teams/ci/audit-logs?per_page=100");
    const minted = audit.find((e) => e.eventType === "apiTokens.exchange");
    expect(minted?.actor.type).toBe("anonymous");
    expect(minted?.details.after).toMatchObject({
      trustPolicyId: policyId,
      issuer: issuer.url,
      federatedSubject: { sub: GOOD.sub, repository: "acme/api", ref: "refs/heads/main", environment: "prod" },
    });
    expect(JSON.stringify(audit)).not.toContain(token);
    await h.owner.ok("DELETE", `/v1/teams/ci/tokens/${self.id}`);
    expect((await ci.get("/v1/auth")).status).toBe(401);
  });

  it("refuses an expired ID token", async () => {
    const long = new Date(Date.now() - 3_600_000);
    await refused(await issuer.sign(GOOD, { now: long }), /expired/);
  });

  it("refuses an ID token that is not yet valid (nbf beyond the skew)", async () => {
    await refused(await issuer.sign({ ...GOOD, nbf: Math.floor(Date.now() / 1000) + 600 }), /nbf/);
  });

  it("refuses an ID token issued in the future", async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(await issuer.sign({ ...GOOD, iat: now + 600, exp: now + 900 }), /iat/);
  });

  it("refuses an ID token for another audience, and audits the refusal where the tenant is known", async () => {
    await refused(await issuer.sign({ ...GOOD, aud: "https://github.com/someone-else" }), /no trust policy matches/);
    await refused(await issuer.sign({ ...GOOD, repository: "acme/other" }), /no trust policy matches/);
    const audit = await events(h.owner, "/v1/teams/ci/audit-logs?per_page=100");
    const refusal = audit.find((e) => e.eventType === "tokenExchange.refused");
    expect(refusal?.details.after).toMatchObject({
      reason: "no trust policy matches this token",
      claimedSubject: { repository: "acme/other" },
    });
  });

  it("refuses an untrusted issuer without fetching anything from it", async () => {
    const other = await startIssuer();
    try {
      await refused(await other.sign(GOOD), /no trust policy trusts this issuer/);
      expect(other.hits.size).toBe(0);
    } finally {
      await other.close();
    }
  });

  it("refuses alg none", async () => {
    const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
    const now = Math.floor(Date.now() / 1000);
    const body = Buffer.from(JSON.stringify({ ...GOOD, iss: issuer.url, iat: now, exp: now + 300 })).toString("base64url");
    await refused(`${header}.${body}.`, /algorithm none is not accepted/);
  });

  it("refuses HS256 signed with the issuer's public key as the secret", async () => {
    const secret = new TextEncoder().encode(JSON.stringify(issuer.publicJwk));
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ ...GOOD, iss: issuer.url, iat: now, exp: now + 300 })
      .setProtectedHeader({ alg: "HS256", kid: issuer.publicJwk.kid ?? "" })
      .sign(secret);
    await refused(forged, /algorithm HS256 is not accepted/);
  });

  it("refuses a key the issuer does not publish (an unknown kid asks the issuer again at most once a minute)", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const before = issuer.hits.get("/jwks") ?? 0;
    // The keys were fetched less than a minute ago (first exchange): unknown kids do not make the server ask again.
    await refused(await issuer.sign(GOOD, { key: privateKey, kid: "rogue" }), /key the issuer does not publish/);
    await refused(await issuer.sign(GOOD, { key: privateKey, kid: "rogue-2" }), /key the issuer does not publish/);
    expect(issuer.hits.get("/jwks") ?? 0).toBe(before);
    // The published kid with another key: the signature does not verify.
    await refused(await issuer.sign(GOOD, { key: privateKey }), /signature is not valid/);
  });

  it("refuses when two policies match (exactly one must)", async () => {
    await h.owner.ok("POST", "/v1/teams", { name: "CI two" });
    const twin = await h.owner.ok<{ id: string }>("POST", "/v1/teams/ci-two/trust-policies", {
      name: "Twin",
      issuer: issuer.url,
      audience: AUDIENCE,
      conditions: { repository: "acme/*" },
      roleId: "default",
    });
    await refused(await issuer.sign(GOOD), /more than one trust policy matches/);
    // Naming the tenant (RFC 8693 audience) leaves the other tenant's overlapping policy out.
    const named = await exchange({
      grant_type: EXCHANGE,
      subject_token: await issuer.sign(GOOD),
      subject_token_type: ID_TOKEN,
      audience: "team:ci",
    });
    expect(named.status).toBe(200);
    const elsewhere = await exchange({
      grant_type: EXCHANGE,
      subject_token: await issuer.sign(GOOD),
      subject_token_type: ID_TOKEN,
      audience: "team:nope",
    });
    expect(elsewhere.body).toMatchObject({ error: "invalid_request", error_description: "no trust policy trusts this issuer" });
    await h.owner.ok("DELETE", `/v1/teams/ci-two/trust-policies/${twin.id}`);
    expect((await trade(await issuer.sign(GOOD))).status).toBe(200);
  });

  it("refuses an issuer whose discovery document names another issuer or sends keys from elsewhere", async () => {
    const rogue = await startIssuer();
    try {
      await h.owner.ok("POST", "/v1/teams/ci/trust-policies", {
        name: "Rogue",
        issuer: rogue.url,
        audience: AUDIENCE,
        conditions: { repository: "acme/api" },
        roleId: "default",
      });
      rogue.override("/.well-known/openid-configuration", (_req, res) => {
        res.end(JSON.stringify({ issuer: rogue.url, jwks_uri: "http://127.0.0.2:1/jwks" }));
      });
      await refused(await rogue.sign(GOOD), /jwks_uri points away from the issuer/);
    } finally {
      await rogue.close();
    }
  });

  it("answers other grant types and malformed requests in OAuth's form", async () => {
    expect((await exchange({ grant_type: "password", username: "a" })).body).toMatchObject({ error: "unsupported_grant_type" });
    expect((await exchange({})).body).toMatchObject({ error: "invalid_request" });
    expect((await exchange({ grant_type: EXCHANGE, subject_token: "x", subject_token_type: "urn:other" })).body).toMatchObject({
      error: "invalid_request",
    });
    expect((await trade("not.a.jwt")).body).toMatchObject({ error: "invalid_request", error_description: "subject_token is not a JWT" });
    const twice = await h.anon.request("POST", "/v1/oauth/token", `grant_type=${EXCHANGE}&grant_type=${EXCHANGE}`, {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(twice.status).toBe(400);
    expect(twice.body).toMatchObject({
      error: "invalid_request",
      error_description: 'malformed form body: parameter "grant_type" repeated',
    });
    const json = await h.anon.request("POST", "/v1/oauth/token", { grant_type: EXCHANGE });
    expect(json.body).toEqual({
      error: "invalid_request",
      error_description: 'send the body with the header "content-type: application/x-www-form-urlencoded" (received "application/json")',
    });
    expect((await trade("a".repeat(20_000))).body).toMatchObject({
      error: "invalid_request",
      error_description: "subject_token is too long",
    });
    const huge = await h.anon.request("POST", "/v1/oauth/token", `grant_type=x&pad=${"a".repeat(70_000)}`, {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(huge.status).toBe(413);
    void exportJWK;
  });
});
