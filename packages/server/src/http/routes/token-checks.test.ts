import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { events } from "../../test-support/audit.js";
import { createTestClock } from "../../test-support/clock.js";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Client, type Harness } from "../../test-support/harness.js";

interface Check {
  valid: boolean;
  code: string;
  token?: {
    id: string;
    name: string;
    entityType: string;
    entityId: string;
    orgId?: string;
    role: { id: string; name: string; type: string };
  };
  permissions?: string[];
  missing?: string[];
  ratelimit?: { limit: number; remaining: number; reset: number };
}

const FORM = { "content-type": "application/x-www-form-urlencoded" };

describe.each(dialects())("check, introspection and revocation on %s", (kind) => {
  let h: Harness;
  const clock = createTestClock();
  const tokens: Record<string, { token: string; id: string }> = {};
  let verifier: Client;
  let orgVerifier: Client;

  const mint = async (path: string, name: string, roleId: string, expiresAt?: string) => {
    const created = await h.owner.ok<{ token: string; apiToken: { id: string } }>("POST", `${path}/tokens`, {
      name,
      roleId,
      ...(expiresAt ? { expiresAt } : {}),
    });
    return { token: created.token, id: created.apiToken.id };
  };
  const check = async (c: Client, token: string, permissions?: string[]) =>
    c.ok<Check>("POST", "/v1/auth/check", { token, ...(permissions ? { permissions } : {}) });
  const form = (c: Client, url: string, body: string) => c.request("POST", url, body, FORM);

  beforeAll(async () => {
    h = await startHarness(kind, {}, { now: clock.now });
    await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
    await h.owner.ok("POST", "/v1/teams", { name: "Other" });
    await h.owner.ok("POST", "/v1/orgs", { name: "Corp" });
    await h.owner.ok("POST", "/v1/orgs/corp/teams", { name: "Corp Web" });
    await h.owner.ok("POST", "/v1/orgs/corp/teams", { name: "Corp Api" });
    await h.owner.ok("POST", "/v1/teams/acme/roles", { name: "Verifier", permissions: { teamScope: ["team.read", "team.apis.verify"] } });
    await h.owner.ok("POST", "/v1/orgs/corp/roles", { name: "Verifier", permissions: { orgScope: ["org.read", "org.apis.verify"] } });
    await h.owner.ok("POST", "/v1/orgs/corp/roles", {
      name: "Api only",
      permissions: { orgScope: ["org.read", "org.apis.verify"] },
      restrictions: { enabled: true, teams: [{ teamId: "corp-api" }] },
    });
    tokens["reader"] = await mint("/v1/teams/acme", "reader", "default");
    tokens["stranger"] = await mint("/v1/teams/other", "stranger", "default");
    tokens["web"] = await mint("/v1/teams/corp-web", "web", "default");
    tokens["brief"] = await mint("/v1/teams/acme", "brief", "default", clock.inSeconds(60));
    verifier = h.client({ bearer: (await mint("/v1/teams/acme", "verifier", "verifier")).token });
    orgVerifier = h.client({ bearer: (await mint("/v1/orgs/corp", "org verifier", "verifier")).token });
  });
  afterAll(() => h.close());

  describe("POST /v1/auth/check", () => {
    it("VALID: the token, its role and rate limit; permissions held", async () => {
      const res = await check(verifier, tokens["reader"]!.token, ["project.read"]);
      expect(res).toMatchObject({
        valid: true,
        code: "VALID",
        token: {
          id: tokens["reader"]!.id,
          name: "reader",
          entityType: "team",
          entityId: "acme",
          role: { id: "default", name: "Default", type: "team" },
        },
        permissions: [],
      });
      expect(res.ratelimit?.limit).toBeGreaterThan(0);
      expect(res.missing).toBeUndefined();
    });

    it("INSUFFICIENT_PERMISSIONS lists what is missing", async () => {
      expect(await check(verifier, tokens["reader"]!.token, ["project.read", "project.delete"])).toMatchObject({
        valid: false,
        code: "INSUFFICIENT_PERMISSIONS",
        missing: ["project.delete"],
      });
    });

    it("NOT_FOUND: garbage, and any token outside the caller's reach whatever its state (no oracle)", async () => {
      expect(await check(verifier, "garbage")).toEqual({ valid: false, code: "NOT_FOUND" });
      expect(await check(verifier, tokens["stranger"]!.token)).toEqual({ valid: false, code: "NOT_FOUND" });
      expect(await check(verifier, tokens["web"]!.token)).toEqual({ valid: false, code: "NOT_FOUND" });
      const doomed = await mint("/v1/teams/other", "doomed", "default");
      await h.owner.ok("DELETE", `/v1/teams/other/tokens/${doomed.id}`);
      expect(await check(verifier, doomed.token)).toEqual({ valid: false, code: "NOT_FOUND" });
    });

    it("an organisation's org.apis.verify covers its teams, unless its role is restricted to other teams", async () => {
      expect(await check(orgVerifier, tokens["web"]!.token)).toMatchObject({ valid: true, token: { orgId: "corp", entityId: "corp-web" } });
      expect(await check(orgVerifier, tokens["reader"]!.token)).toEqual({ valid: false, code: "NOT_FOUND" });
      const narrow = h.client({ bearer: (await mint("/v1/orgs/corp", "narrow", "api-only")).token });
      expect(await check(narrow, tokens["web"]!.token)).toEqual({ valid: false, code: "NOT_FOUND" });
    });

    it("REVOKED and EXPIRED in reach, recorded as auth.check in the checked token's feed", async () => {
      const gone = await mint("/v1/teams/acme", "gone", "default");
      expect((await check(verifier, gone.token)).code).toBe("VALID");
      await h.owner.ok("DELETE", `/v1/teams/acme/tokens/${gone.id}`);
      expect(await check(verifier, gone.token, ["project.read"])).toEqual({ valid: false, code: "REVOKED" });
      clock.advance(120_000);
      expect(await check(verifier, tokens["brief"]!.token)).toEqual({ valid: false, code: "EXPIRED" });
      await h.services.audit.buffer.flush();
      const feed = await events(h.owner, `/v1/teams/acme/tokens/${gone.id}/audit-logs?eventType=auth.check`);
      expect(feed.map((e) => [e.status, e.outcome, (e.details as { code: string }).code])).toEqual([
        [401, "denied", "REVOKED"],
        [200, "allowed", "VALID"],
      ]);
      expect(feed[0]?.details).toMatchObject({ door: "check", permissions: ["project.read"], checkedBy: { type: "apiToken" } });
      // Each names the checked token's key, valid or refused.
      const keyId = (await h.owner.ok<{ keys: { id: string }[] }>("GET", `/v1/teams/acme/tokens/${gone.id}`)).keys[0]?.id;
      expect(feed.map((e) => (e.details as { keyId?: string }).keyId)).toEqual([keyId, keyId]);
    });

    it("RATE_LIMITED once the checked token's limit is spent (the same counter as its own requests)", async () => {
      await h.owner.ok("POST", "/v1/teams", { name: "Tight" });
      await h.owner.ok("PATCH", "/v1/teams/tight", { rateLimitPerHour: 1 });
      const tight = await mint("/v1/teams/tight", "tight", "default");
      expect((await check(h.owner, tight.token)).code).toBe("VALID");
      expect(await check(h.owner, tight.token)).toMatchObject({
        valid: false,
        code: "RATE_LIMITED",
        ratelimit: { limit: 1, remaining: 0 },
      });
    });

    it("ip: a token whose allow-list excludes it is IP_NOT_ALLOWED (audited, naming the address); inside or absent is VALID", async () => {
      const allowedIps = ["203.0.113.0/24", "2001:db8::/32"];
      const created = await h.owner.ok<{ token: string; apiToken: { id: string } }>("POST", "/v1/teams/acme/tokens", {
        name: "fenced",
        roleId: "default",
        allowedIps,
      });
      const at = (ip?: string) =>
        verifier.ok<Check & { token?: { allowedIps: string[] } }>("POST", "/v1/auth/check", {
          token: created.token,
          permissions: ["project.read"],
          ...(ip === undefined ? {} : { ip }),
        });
      for (const inside of ["203.0.113.9", "::ffff:203.0.113.10", "2001:db8::7", "2001:db8::7%eth0"]) {
        expect(await at(inside), inside).toMatchObject({ valid: true, code: "VALID", token: { id: created.apiToken.id, allowedIps } });
      }
      expect((await at()).code).toBe("VALID");
      const outside = await at("198.51.100.7");
      // The token (with its list) but no permissions: the verifier that asked learns why, and which token.
      expect(outside).toMatchObject({ valid: false, code: "IP_NOT_ALLOWED", token: { id: created.apiToken.id, allowedIps } });
      expect(Object.keys(outside).sort()).toEqual(["code", "token", "valid"]);
      expect((await at("2001:db9::1")).code).toBe("IP_NOT_ALLOWED");
      // A token without a list: any address, and an empty list in the reply.
      expect(await check(verifier, tokens["reader"]!.token)).toMatchObject({ code: "VALID", token: { allowedIps: [] } });
      const anywhere = await verifier.ok<Check>("POST", "/v1/auth/check", { token: tokens["reader"]!.token, ip: "198.51.100.7" });
      expect(anywhere.code).toBe("VALID");
      // Out of reach stays NOT_FOUND whatever the address (no oracle).
      expect(await verifier.ok<Check>("POST", "/v1/auth/check", { token: tokens["stranger"]!.token, ip: "198.51.100.7" })).toEqual({
        valid: false,
        code: "NOT_FOUND",
      });
      await h.services.audit.buffer.flush();
      const feed = await events(h.owner, `/v1/teams/acme/tokens/${created.apiToken.id}/audit-logs?eventType=auth.check`);
      const denied = feed.filter((e) => (e.details as { code: string }).code === "IP_NOT_ALLOWED");
      expect(denied.map((e) => [e.status, e.outcome, (e.details as { clientIp?: string }).clientIp])).toEqual([
        [403, "denied", "2001:db9::1"],
        [403, "denied", "198.51.100.7"],
      ]);
      // The address given is the client's: it becomes the token's last-used address.
      await h.services.lastUsed.flush();
      const meta = await h.owner.ok<{ lastUsedIp: string | null }>("GET", `/v1/teams/acme/tokens/${created.apiToken.id}`);
      expect(meta.lastUsedIp).toBe("2001:db9::1");
    });

    it("400 for an ip that is not one address (a block, garbage, too long, not a string)", async () => {
      for (const ip of ["203.0.113.0/24", "garbage", "", "1".repeat(65), 42, ["203.0.113.9"], "fe80::1%a b"]) {
        const res = await verifier.post("/v1/auth/check", { token: tokens["reader"]!.token, ip });
        expect(res.status, JSON.stringify(ip)).toBe(400);
        expect(JSON.stringify(res.body.error?.details)).toContain("ip");
      }
    });

    it("403 naming team.apis.verify for a caller that holds it nowhere; 401 without a credential", async () => {
      const res = await h.client({ bearer: tokens["reader"]!.token }).post("/v1/auth/check", { token: tokens["reader"]!.token });
      expect(res.status).toBe(403);
      expect(res.body.error?.details).toMatchObject({ permission: "team.apis.verify" });
      expect((await h.anon.post("/v1/auth/check", { token: "x" })).status).toBe(401);
    });

    it("400 for unknown permission names (naming them) and for malformed, oversized or mistyped bodies", async () => {
      const unknown = await verifier.post("/v1/auth/check", {
        token: tokens["reader"]!.token,
        permissions: ["billing:invoices.read", "nope"],
      });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error?.details).toMatchObject({ unknown: ["billing:invoices.read", "nope"] });
      for (const body of [
        { token: 42 },
        { token: "x".repeat(8193) },
        { token: "x", permissions: "project.read" },
        { token: "x", permissions: Array.from({ length: 33 }, () => "project.read") },
        { token: "x", extra: true },
        {},
      ]) {
        expect((await verifier.post("/v1/auth/check", body)).status).toBe(400);
      }
      const broken = await verifier.request("POST", "/v1/auth/check", "{not json", { "content-type": "application/json" });
      expect(broken.status).toBe(400);
    });
  });

  describe("RFC 7662 introspection", () => {
    it("an active token: scope, client_id, claims and its team", async () => {
      const res = await form(verifier, "/v1/oauth/introspect", `token=${tokens["reader"]!.token}&token_type_hint=access_token`);
      expect(res.status).toBe(200);
      expect(res.headers["cache-control"]).toBe("no-store");
      expect(res.body).toMatchObject({
        active: true,
        scope: "",
        client_id: tokens["reader"]!.id,
        token_type: "Bearer",
        sub: tokens["reader"]!.id,
        iss: "http://latchkey.test",
        aud: "http://latchkey.test/v1",
        entity_type: "team",
        entity_id: "acme",
        role_id: "default",
      });
      expect(typeof res.body["iat"]).toBe("number");
      expect(typeof res.body["jti"]).toBe("string");
      await h.services.audit.buffer.flush();
      const feed = await events(h.owner, `/v1/teams/acme/tokens/${tokens["reader"]!.id}/audit-logs?eventType=auth.introspect`);
      expect(feed.length).toBeGreaterThan(0);
    });

    it("{active: false} for garbage and for tokens out of reach", async () => {
      for (const token of ["garbage", tokens["stranger"]!.token]) {
        const res = await form(verifier, "/v1/oauth/introspect", `token=${encodeURIComponent(token)}`);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ active: false });
      }
    });

    it("401 without a credential (before the body is read); 400/413/415 in OAuth.s form for bad bodies, never 500", async () => {
      // A refused credential as on every route (RFC 7662 2.3 -> RFC 6750), checked before the body is read.
      const anon = await form(h.anon, "/v1/oauth/introspect", "token=%ZZ");
      expect(anon.status).toBe(401);
      expect(anon.body.error?.code).toBe("UNAUTHENTICATED");
      expect(anon.headers["www-authenticate"]).toBe('Bearer realm="latchkey"');
      const forged = await h.anon.request("POST", "/v1/oauth/introspect", { token: "x" }, { authorization: "Bearer not.a.jwt" });
      expect(forged.status).toBe(401);
      expect(forged.headers["www-authenticate"]).toBe('Bearer error="invalid_token"');
      for (const body of ["token=%E0%A4%A", "token=a&token=b", "token_type_hint=x", `token=${"x".repeat(8193)}`, "%ZZ=1"]) {
        const res = await form(verifier, "/v1/oauth/introspect", body);
        expect(res.status).toBe(400);
        expect(res.body["error"]).toBe("invalid_request");
      }
      expect((await form(verifier, "/v1/oauth/introspect", `token=${"x".repeat(65 * 1024)}`)).status).toBe(413);
      const json = await verifier.request("POST", "/v1/oauth/introspect", { token: "x" });
      expect(json.status).toBe(415);
      expect(json.body).toEqual({
        error: "invalid_request",
        error_description: 'send the body with the header "content-type: application/x-www-form-urlencoded" (received "application/json")',
      });
    });
  });

  describe("RFC 7009 revocation and RFC 8414 metadata", () => {
    it("a token ends itself without token management; its next request is refused", async () => {
      const self = await mint("/v1/teams/acme", "self", "default");
      const client = h.client({ bearer: self.token });
      const res = await form(client, "/v1/oauth/revoke", `token=${self.token}`);
      expect(res.status).toBe(200);
      expect(res.raw).toBe("");
      expect((await client.get("/v1/projects")).status).toBe(401);
      await h.services.audit.buffer.flush();
      const feed = await events(h.owner, "/v1/teams/acme/audit-logs?eventType=apiTokens.revoke");
      expect(feed.some((e) => e.resource.id === self.id)).toBe(true);
    });

    it("another's token: ended by a token manager, left alone (still 200) for anyone else", async () => {
      const target = await mint("/v1/teams/other", "target", "default");
      const bystander = h.client({ bearer: tokens["reader"]!.token });
      expect((await form(bystander, "/v1/oauth/revoke", `token=${target.token}`)).status).toBe(200);
      expect((await check(h.owner, target.token)).code).toBe("VALID");
      expect((await form(h.owner, "/v1/oauth/revoke", `token=${target.token}`)).status).toBe(200);
      expect((await check(h.owner, target.token)).code).toBe("REVOKED");
      expect((await form(h.owner, "/v1/oauth/revoke", "token=garbage")).status).toBe(200);
      expect((await form(h.anon, "/v1/oauth/revoke", `token=${tokens["reader"]!.token}`)).status).toBe(401);
    });

    it("serves the authorization server metadata", async () => {
      const res = await h.anon.get("/.well-known/oauth-authorization-server");
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        issuer: "http://latchkey.test",
        jwks_uri: "http://latchkey.test/.well-known/jwks.json",
        introspection_endpoint: "http://latchkey.test/v1/oauth/introspect",
        revocation_endpoint: "http://latchkey.test/v1/oauth/revoke",
        token_endpoint: "http://latchkey.test/v1/oauth/token",
        device_authorization_endpoint: "http://latchkey.test/v1/oauth/device_authorization",
      });
      expect(res.body["grant_types_supported"]).toContain("urn:ietf:params:oauth:grant-type:device_code");
    });
  });
});
