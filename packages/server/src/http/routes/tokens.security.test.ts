import { refused, forbidden } from "../../test-support/refusals.js";
import { generateKeyPairSync, sign } from "node:crypto";
import { DomainError } from "@latchkey/core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Principal } from "../../access/principal.js";
import { createTestClock } from "../../test-support/clock.js";
import { dialects } from "../../test-support/databases.js";
import { OWNER_EMAIL, OWNER_PASSWORD, startHarness, type Client, type Harness, type TestReply } from "../../test-support/harness.js";

interface Meta {
  id: string;
  name: string;
  role: { roleId: string };
  revoked: boolean;
  revokedAt?: string | null;
  active?: boolean;
  keys: { id: string }[];
}
interface Created {
  apiToken: Meta;
  token: string;
}

// Expiry is tested on the server's injected clock, moved to the deadline instead of waited for.
const clock = createTestClock();
const inSeconds = clock.inSeconds;
const tokensOf = (res: TestReply): Meta[] => (res.body.data as { apiTokens: Meta[] }).apiTokens;
const ids = (res: TestReply, key: string): string[] => ((res.body.data as Record<string, { id: string }[]>)[key] ?? []).map((x) => x.id);
const b64 = (v: string | Buffer): string => Buffer.from(v).toString("base64url");
const parts = (jwt: string) => {
  const [h, p, s] = jwt.split(".") as [string, string, string];
  return {
    h,
    p,
    s,
    header: JSON.parse(Buffer.from(h, "base64url").toString()) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(p, "base64url").toString()) as Record<string, unknown>,
  };
};
/** The same string with the character at `i` replaced by a different base64url character. */
const flip = (s: string, i: number): string => `${s.slice(0, i)}${s[i] === "A" ? "B" : "A"}${s.slice(i + 1)}`;

/** What `verifier.cached` did: a principal, nothing (slow path needed), or the error it threw. */
function cachedOutcome(h: Harness, jwt: string): Principal | undefined | DomainError {
  try {
    const result = h.services.verifier.cached(jwt, "127.0.0.1");
    expect(result).not.toBeInstanceOf(Promise);
    return result;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
}

describe.each(dialects())("API token security on %s", (kind) => {
  let h: Harness;
  const alpha = "/v1/teams/alpha";
  const mint = (roleId: string, path = alpha, as?: Client, extra: Record<string, unknown> = {}) =>
    (as ?? h.owner).ok<Created>("POST", `${path}/tokens`, { name: `${roleId} token`, roleId, ...extra });
  const bearer = (jwt: string): Client => h.client({ bearer: jwt });

  beforeAll(async () => {
    h = await startHarness(kind, {}, { now: clock.now });
    for (const name of ["Alpha", "Bravo"]) await h.owner.ok("POST", "/v1/teams", { name });
    for (const name of ["one", "two"]) await h.owner.ok("POST", `${alpha}/projects`, { name });
    await h.owner.ok("POST", "/v1/teams/bravo/projects", { name: "secret" });
    const roles: [string, string[], string[], Record<string, unknown>?][] = [
      ["reader", ["team.read"], ["project.read"]],
      ["deleter", ["team.read"], ["project.read", "project.delete"]],
      ["token-maker", ["team.read", "team.tokens.read", "team.tokens.manage"], ["project.read"]],
      [
        "one-token-maker",
        ["team.read", "team.tokens.read", "team.tokens.manage"],
        ["project.read"],
        { enabled: true, projects: ["one"], restrictionMode: "in" },
      ],
      ["one-reader", ["team.read"], ["project.read"], { enabled: true, projects: ["one"], restrictionMode: "in" }],
    ];
    for (const [id, teamScope, projectScope, restrictions] of roles) {
      await h.owner.ok("POST", `${alpha}/roles`, {
        id,
        name: id,
        permissions: { teamScope, projectScope },
        ...(restrictions ? { restrictions } : {}),
      });
    }
    await h.owner.ok("POST", "/v1/orgs", { name: "Acme" });
    for (const name of ["Web", "Data"]) await h.owner.ok("POST", "/v1/orgs/acme/teams", { name });
    await h.owner.ok("POST", "/v1/teams/web/projects", { name: "site" });
    await h.owner.ok("POST", "/v1/teams/data/projects", { name: "warehouse" });
    await h.owner.ok("POST", "/v1/orgs/acme/roles", {
      id: "web-reader",
      name: "Web reader",
      permissions: {
        orgScope: ["org.read", "org.teams.read", "org.roles.read", "org.tokens.read"],
        teamScope: ["team.read"],
        projectScope: ["project.read"],
      },
      restrictions: { enabled: true, teams: [{ teamId: "web" }] },
    });
  });
  afterAll(() => h.close());

  describe("authentication", () => {
    it("no credential: 401 UNAUTHENTICATED with a challenge", async () => {
      const res = await h.anon.get("/v1/projects");
      expect(res.status).toBe(401);
      expect(res.body.error?.code).toBe("UNAUTHENTICATED");
      expect(res.headers["www-authenticate"]).toBeDefined();
    });

    it("malformed Authorization headers and oversized tokens: 401 TOKEN_INVALID, never 4xx of another kind or 500", async () => {
      const { token } = await mint("reader");
      const headers = [
        "Bearer",
        "Bearer ",
        "Bearer  ",
        "Basic dXNlcjpwYXNz",
        "Token abc",
        `Bearer ${token} extra`,
        `Bearer ${token},${token}`,
        `Bearer${token}`,
        `Bearer ${"a".repeat(9000)}`,
        `Bearer ${token}${"A".repeat(9000)}`,
        "Bearer null",
        "Bearer undefined",
        "Bearer e30.e30.",
        "Bearer e30.e30.e30",
      ];
      for (const authorization of headers) {
        const res = await h.anon.request("GET", "/v1/projects", undefined, { authorization });
        expect(res.status, authorization.slice(0, 40)).toBe(401);
        expect(res.body.error?.code, authorization.slice(0, 40)).toBe("TOKEN_INVALID");
        expect(res.headers["www-authenticate"]).toBeDefined();
        expect(res.raw.includes(token.split(".")[2] ?? "")).toBe(false);
      }
      // The scheme is case-insensitive (RFC 7235).
      expect((await h.anon.request("GET", "/v1/login", undefined, { authorization: `bearer ${token}` })).status).toBe(200);
    });

    it("a tampered token (one character of signature, payload or header) is 401 TOKEN_INVALID, cached or not", async () => {
      const { token } = await mint("reader");
      expect((await bearer(token).get("/v1/projects")).status).toBe(200);
      const { h: head, p, s } = parts(token);
      const tampered = [
        `${head}.${p}.${flip(s, 10)}`,
        `${head}.${p}.${flip(s, s.length - 1)}`,
        `${head}.${flip(p, 5)}.${s}`,
        `${head}.${flip(p, p.length - 2)}.${s}`,
        `${flip(head, 3)}.${p}.${s}`,
        `${b64(JSON.stringify({ ...parts(token).header, alg: "none" }))}.${p}.`,
        `${b64(JSON.stringify({ ...parts(token).header, kid: "sig_unknown" }))}.${p}.${s}`,
        `${head}.${b64(JSON.stringify({ ...parts(token).claims, entityId: "bravo" }))}.${s}`,
      ];
      for (const t of tampered) refused(await bearer(t).get("/v1/projects"), "TOKEN_INVALID", t);
      expect((await bearer(token).get("/v1/projects")).status).toBe(200);
    });

    it("a foreign Ed25519 key signing under the instance's kid is refused", async () => {
      const { token } = await mint("reader");
      const { h: head, p } = parts(token);
      const foreign = generateKeyPairSync("ed25519").privateKey;
      const forged = `${head}.${p}.${b64(sign(null, Buffer.from(`${head}.${p}`), foreign))}`;
      refused(await bearer(forged).get("/v1/projects"), "TOKEN_INVALID", forged);
    });

    it("a JWT that verifies but was never issued is refused (a stolen signing key is not enough)", async () => {
      const { apiToken, token } = await mint("reader");
      const claims = parts(token).claims;
      const forgeries = [
        { ...claims, jti: "key_madeup" },
        { ...claims, sub: "tok_madeup", client_id: "tok_madeup" },
        { ...claims, iat: Number(claims["iat"]) - 1 },
        { ...claims, entityId: "bravo" },
        { ...claims, exp: Math.floor(clock.now().getTime() / 1000) + 60 },
      ];
      for (const c of forgeries) {
        const forged = await h.services.keys.sign(c);
        expect(forged).not.toBe(token);
        const res = await bearer(forged).get("/v1/projects");
        expect(res.status, JSON.stringify(c)).toBe(401);
        expect(res.body.error?.code).toMatch(/^TOKEN_(INVALID|REVOKED|EXPIRED)$/);
      }
      // The key of a deleted token key: its JWT verifies, but the key is gone.
      const rotated = await h.owner.ok<{ token: string }>("POST", `${alpha}/tokens/${apiToken.id}/keys`, {
        otherKeysExpiresAt: inSeconds(3600),
      });
      await h.owner.ok("DELETE", `${alpha}/tokens/${apiToken.id}/keys/${apiToken.keys[0]?.id ?? ""}`);
      refused(await bearer(token).get("/v1/projects"), "TOKEN_REVOKED", token);
      expect((await bearer(rotated.token).get("/v1/projects")).status).toBe(200);
    });

    it("a presented bearer token is decisive: a revoked one is refused even with a valid session cookie", async () => {
      const { apiToken, token } = await mint("reader");
      const signIn = await h.app.inject({ method: "POST", url: "/v1/session", payload: { email: OWNER_EMAIL, password: OWNER_PASSWORD } });
      const cookie = signIn.cookies.find((c) => c.name === "latchkey_session")?.value ?? "";
      const csrf = (JSON.parse(signIn.body) as { data: { csrfToken: string } }).data.csrfToken;
      await h.owner.ok("DELETE", `${alpha}/tokens/${apiToken.id}`);
      const both = h.client({ cookie: `latchkey_session=${cookie}`, csrf, bearer: token });
      refused(await both.get("/v1/teams/bravo/projects"), "TOKEN_REVOKED");
      refused(await both.post("/v1/teams/bravo/projects", { name: "sneaky" }), "TOKEN_REVOKED");
      expect((await h.owner.get("/v1/teams/bravo/projects/sneaky")).status).toBe(404);
    });
  });

  describe("tenant isolation", () => {
    it("a team token reaches only its own team: other teams are 404, even those its creator owns", async () => {
      const { token } = await mint("admin");
      const t = bearer(token);
      expect(ids(await t.get(`${alpha}/projects`), "projects").sort()).toEqual(["one", "two"]);
      for (const url of [
        "/v1/teams/bravo",
        "/v1/teams/bravo/projects",
        "/v1/teams/bravo/projects/secret",
        "/v1/teams/bravo/tokens",
        "/v1/teams/bravo/roles",
        "/v1/teams/bravo/members",
        "/v1/teams/web/projects",
        "/v1/orgs/acme",
        "/v1/orgs/acme/tokens",
      ]) {
        expect((await t.get(url)).status, url).toBe(404);
      }
      expect((await t.post("/v1/teams/bravo/projects", { name: "planted" })).status).toBe(404);
      expect((await t.post("/v1/teams/bravo/tokens", { name: "x", roleId: "owner" })).status).toBe(404);
      expect(ids(await t.get("/v1/teams"), "teams")).toEqual(["alpha"]);
      // A token never creates teams (that needs a person).
      expect((await t.post("/v1/teams", { name: "Token team" })).status).toBe(403);
      expect((await h.owner.get("/v1/teams/token-team")).status).toBe(404);
    });

    it("a token id of another team is 404 through this team's paths, whoever asks", async () => {
      const other = await mint("default", "/v1/teams/bravo");
      const admin = bearer((await mint("admin")).token);
      for (const client of [admin, h.owner]) {
        const prefix = client === admin ? "/v1/tokens" : `${alpha}/tokens`;
        expect((await client.get(`${prefix}/${other.apiToken.id}`)).status).toBe(404);
        expect((await client.patch(`${prefix}/${other.apiToken.id}`, { name: "hijacked" })).status).toBe(404);
        expect((await client.post(`${prefix}/${other.apiToken.id}/keys`, {})).status).toBe(404);
        expect((await client.delete(`${prefix}/${other.apiToken.id}/keys/${other.apiToken.keys[0]?.id ?? ""}`)).status).toBe(404);
        expect((await client.delete(`${prefix}/${other.apiToken.id}`)).status).toBe(404);
      }
      expect((await bearer(other.token).get("/v1/login")).status).toBe(200);
      expect(await h.owner.ok("GET", `/v1/teams/bravo/tokens/${other.apiToken.id}`)).toMatchObject({
        name: "default token",
        revoked: false,
      });
    });

    it("implied paths work for a team token: /v1/projects, /v1/tokens, /v1/roles, /v1/members; /v1/org-roles does not", async () => {
      const t = bearer((await mint("admin")).token);
      expect(ids(await t.get("/v1/projects"), "projects").sort()).toEqual(["one", "two"]);
      expect((await t.get("/v1/projects/one")).status).toBe(200);
      expect(ids(await t.get("/v1/roles"), "roles")).toContain("reader");
      expect((await t.get("/v1/roles/reader")).status).toBe(200);
      expect((await t.get("/v1/members")).status).toBe(200);
      expect((await t.get("/v1/tokens")).status).toBe(200);
      expect((await t.get("/v1/org-roles")).status).toBe(400);
      expect((await t.get("/v1/org-members")).status).toBe(400);
      const reader = bearer((await mint("reader")).token);
      forbidden(await reader.get("/v1/tokens"), "team.tokens.read");
      forbidden(await reader.get("/v1/roles"), "team.roles.read");
      forbidden(await reader.post("/v1/projects", { name: "nope" }), "project.create");
    });

    it("an organisation token reaches the teams its role allows, and no others", async () => {
      const { token } = await mint("web-reader", "/v1/orgs/acme");
      const t = bearer(token);
      expect(ids(await t.get("/v1/teams/web/projects"), "projects")).toEqual(["site"]);
      expect((await t.get("/v1/teams/web")).status).toBe(200);
      expect((await t.get("/v1/teams/data/projects")).status).toBe(404);
      expect((await t.get("/v1/teams/data")).status).toBe(404);
      expect((await t.get(`${alpha}/projects`)).status).toBe(404);
      expect((await t.get("/v1/teams/bravo/projects")).status).toBe(404);
      expect(ids(await t.get("/v1/teams"), "teams")).toEqual(["web"]);
      expect(ids(await t.get("/v1/org-roles"), "roles")).toContain("web-reader");
      expect((await t.get("/v1/orgs/acme/roles")).status).toBe(200);
      expect((await t.get("/v1/tokens")).status).toBe(200);
      expect((await t.get("/v1/projects")).status).toBe(400);
      expect((await t.get("/v1/roles")).status).toBe(400);
      forbidden(await t.post("/v1/teams/web/projects", { name: "nope" }), "project.create");
      forbidden(await t.post("/v1/tokens", { name: "child", roleId: "web-reader" }), "org.tokens.manage");
      expect(await t.ok("GET", "/v1/auth")).toMatchObject({
        entityType: "org",
        entityId: "acme",
        orgId: "acme",
        role: { id: "web-reader" },
      });

      // Its role's restrictions are read live: moved to the data team, the token follows on its next request.
      await h.owner.ok("PATCH", "/v1/orgs/acme/roles/web-reader", { restrictions: { enabled: true, teams: [{ teamId: "data" }] } });
      expect((await t.get("/v1/teams/web/projects")).status).toBe(404);
      expect(ids(await t.get("/v1/teams/data/projects"), "projects")).toEqual(["warehouse"]);
      await h.owner.ok("PATCH", "/v1/orgs/acme/roles/web-reader", { restrictions: { enabled: true, teams: [{ teamId: "web" }] } });
      expect((await t.get("/v1/teams/web/projects")).status).toBe(200);
    });

    it("organisation tokens need org.tokens.manage; a plain member gets 403 naming it", async () => {
      const member = await h.newMember(h.owner, "/v1/orgs/acme", ["member"]);
      forbidden(await member.post("/v1/orgs/acme/tokens", { name: "mine", roleId: "member" }), "org.tokens.manage");
      const outsider = await h.newMember(h.owner, "/v1/teams/bravo", ["default"]);
      expect((await outsider.post("/v1/orgs/acme/tokens", { name: "mine", roleId: "member" })).status).toBe(404);
      expect((await outsider.get("/v1/orgs/acme/tokens")).status).toBe(404);
    });
  });

  describe("no escalation", () => {
    let plain: Client;
    let maker: Client;
    beforeAll(async () => {
      plain = await h.newMember(h.owner, alpha, ["default"]);
      maker = await h.newMember(h.owner, alpha, ["token-maker"]);
    });

    it("a default-role member cannot create, rotate, rename or revoke tokens: 403 naming team.tokens.manage", async () => {
      const { apiToken, token } = await mint("reader");
      forbidden(await plain.post(`${alpha}/tokens`, { name: "mine", roleId: "default" }), "team.tokens.manage");
      forbidden(await plain.post(`${alpha}/tokens`, { name: "mine", roleId: "reader" }), "team.tokens.manage");
      forbidden(await plain.post(`${alpha}/tokens/${apiToken.id}/keys`, {}), "team.tokens.manage");
      forbidden(await plain.patch(`${alpha}/tokens/${apiToken.id}`, { name: "renamed" }), "team.tokens.manage");
      forbidden(await plain.delete(`${alpha}/tokens/${apiToken.id}`), "team.tokens.manage");
      forbidden(await plain.delete(`${alpha}/tokens/${apiToken.id}/keys/${apiToken.keys[0]?.id ?? ""}`), "team.tokens.manage");
      expect((await bearer(token).get("/v1/login")).status).toBe(200);
      expect(await h.owner.ok("GET", `${alpha}/tokens/${apiToken.id}`)).toMatchObject({ name: "reader token", revoked: false });
    });

    it("a member with token management cannot mint a token from a role stronger than their own", async () => {
      const ok = await mint("reader", alpha, maker);
      expect(ok.apiToken.role.roleId).toBe("reader");
      expect((await bearer(ok.token).get("/v1/projects")).status).toBe(200);
      forbidden(await maker.post(`${alpha}/tokens`, { name: "x", roleId: "deleter" }), "project.delete");
      const admin = await maker.post(`${alpha}/tokens`, { name: "x", roleId: "admin" });
      expect(admin.status).toBe(403);
      expect(admin.body.error?.details?.["missing"]).toEqual(expect.arrayContaining(["team.roles.manage", "team.members.manage"]));
      const owner = await maker.post(`${alpha}/tokens`, { name: "x", roleId: "owner" });
      expect(owner.status).toBe(403);
      expect(owner.body.error?.details?.["missing"]).toEqual(expect.arrayContaining(["team.delete", "project.delete"]));
      expect((await maker.post("/v1/teams/bravo/tokens", { name: "x", roleId: "default" })).status).toBe(404);
      const names = tokensOf(await h.owner.get(`${alpha}/tokens?all=true`)).filter((t) => t.name === "x");
      expect(names).toEqual([]);
    });

    it("nor regenerate a token of a stronger role (that would hand them its power)", async () => {
      const strong = await mint("deleter");
      const res = await maker.post(`${alpha}/tokens/${strong.apiToken.id}/keys`, {});
      forbidden(res, "project.delete");
      expect((await bearer(strong.token).get("/v1/login")).status).toBe(200);
      expect((await h.owner.ok<Meta>("GET", `${alpha}/tokens/${strong.apiToken.id}`)).keys).toHaveLength(1);
    });

    it("a token cannot create a token from a stronger role", async () => {
      const made = await mint("token-maker");
      const t = bearer(made.token);
      forbidden(await t.post("/v1/tokens", { name: "up", roleId: "deleter" }), "project.delete");
      expect((await t.post("/v1/tokens", { name: "up", roleId: "owner" })).status).toBe(403);
      expect((await t.post("/v1/tokens", { name: "up", roleId: "admin" })).status).toBe(403);
      expect((await t.post(`${alpha}/tokens`, { name: "up", roleId: "owner" })).status).toBe(403);
      const child = await t.ok<Created>("POST", "/v1/tokens", { name: "down", roleId: "reader" });
      expect((await bearer(child.token).get("/v1/projects")).status).toBe(200);
      forbidden(await bearer(child.token).post("/v1/tokens", { name: "again", roleId: "reader" }), "team.tokens.manage");
    });

    it("a member restricted to some projects cannot mint a token reaching others", async () => {
      const restricted = await h.newMember(h.owner, alpha, ["one-token-maker"]);
      forbidden(await restricted.post(`${alpha}/tokens`, { name: "wide", roleId: "reader" }), "restrictions");
      const narrow = await mint("one-reader", alpha, restricted);
      const t = bearer(narrow.token);
      expect(ids(await t.get("/v1/projects"), "projects")).toEqual(["one"]);
      forbidden(await t.get("/v1/projects/two"), "project.read");
    });
  });

  describe("live role changes", () => {
    it("editing the role changes the token's permissions on its next request", async () => {
      await h.owner.ok("POST", `${alpha}/roles`, {
        id: "live",
        name: "Live",
        permissions: { teamScope: ["team.read"], projectScope: ["project.read"] },
      });
      const t = bearer((await mint("live")).token);
      expect((await t.get("/v1/projects")).status).toBe(200);
      await h.owner.ok("PATCH", `${alpha}/roles/live`, { permissions: { teamScope: ["team.read"], projectScope: [] } });
      forbidden(await t.get("/v1/projects"), "project.read");
      forbidden(await t.get("/v1/projects/one"), "project.read");
      expect((await t.ok<{ permissions: { projectScope: string[] } }>("GET", "/v1/auth")).permissions.projectScope).toEqual([]);
      await h.owner.ok("PATCH", `${alpha}/roles/live`, { permissions: { teamScope: ["team.read"], projectScope: ["project.read"] } });
      expect((await t.get("/v1/projects")).status).toBe(200);
      await h.owner.ok("PATCH", `${alpha}/roles/live`, { restrictions: { enabled: true, projects: ["one"], restrictionMode: "in" } });
      expect(ids(await t.get("/v1/projects"), "projects")).toEqual(["one"]);
      forbidden(await t.get("/v1/projects/two"), "project.read");
      forbidden(await t.post("/v1/projects", { name: "three" }), "project.create");
      await h.owner.ok("PATCH", `${alpha}/roles/live`, {
        permissions: { teamScope: ["team.read"], projectScope: ["project.read", "project.create"] },
        restrictions: { enabled: false, projects: [], restrictionMode: "in" },
      });
      expect((await t.post("/v1/projects", { name: "three" })).status).toBe(200);
      expect(ids(await t.get("/v1/projects"), "projects").sort()).toEqual(["one", "three", "two"]);
    });

    it("deleting the role revokes its tokens (TOKEN_REVOKED), for good", async () => {
      await h.owner.ok("POST", `${alpha}/roles`, {
        id: "brief",
        name: "Brief",
        permissions: { teamScope: ["team.read"], projectScope: ["project.read"] },
      });
      const a = await mint("brief");
      const b = await mint("brief");
      expect((await bearer(a.token).get("/v1/projects")).status).toBe(200);
      await h.owner.ok("DELETE", `${alpha}/roles/brief`);
      refused(await bearer(a.token).get("/v1/projects"), "TOKEN_REVOKED");
      refused(await bearer(b.token).get("/v1/login"), "TOKEN_REVOKED");
      const all = tokensOf(await h.owner.get(`${alpha}/tokens?all=true`));
      expect(all.filter((t) => t.id === a.apiToken.id || t.id === b.apiToken.id).map((t) => t.revoked)).toEqual([true, true]);
      // A new role of the same id does not bring them back.
      await h.owner.ok("POST", `${alpha}/roles`, {
        id: "brief",
        name: "Brief",
        permissions: { teamScope: ["team.read"], projectScope: ["project.read"] },
      });
      refused(await bearer(a.token).get("/v1/projects"), "TOKEN_REVOKED");
    });

    it("deleting a role revokes its live tokens only, the ones the console counted: expired and revoked ones stay as they were", async () => {
      await h.owner.ok("POST", `${alpha}/roles`, { id: "fleeting", name: "Fleeting", permissions: { teamScope: ["team.read"] } });
      const live = await mint("fleeting");
      const revoked = await mint("fleeting");
      const expired = await mint("fleeting", alpha, undefined, { expiresAt: inSeconds(60) });
      await h.owner.ok("DELETE", `${alpha}/tokens/${revoked.apiToken.id}`);
      clock.advance(120_000);
      const before = tokensOf(await h.owner.get(`${alpha}/tokens?all=true`));
      const revokedAt = before.find((t) => t.id === revoked.apiToken.id)?.revokedAt;
      // What the console's delete dialog counts: the role's tokens in the list of live ones.
      const counted = tokensOf(await h.owner.get(`${alpha}/tokens`)).filter((t) => t.role.roleId === "fleeting");
      expect(counted.map((t) => t.id)).toEqual([live.apiToken.id]);

      await h.owner.ok("DELETE", `${alpha}/roles/fleeting`);
      const after = new Map(tokensOf(await h.owner.get(`${alpha}/tokens?all=true`)).map((t) => [t.id, t]));
      expect(after.get(live.apiToken.id)).toMatchObject({ revoked: true });
      expect(after.get(revoked.apiToken.id)).toMatchObject({ revoked: true, revokedAt });
      expect(after.get(expired.apiToken.id)).toMatchObject({ revoked: false, revokedAt: null, active: false });
      refused(await bearer(live.token).get("/v1/login"), "TOKEN_REVOKED");
      expect((await bearer(expired.token).get("/v1/login")).status).toBe(401);
    });

    it("deleting the team makes its tokens fail, and its id is never given to a newcomer", async () => {
      await h.owner.ok("POST", "/v1/teams", { name: "Doomed" });
      const { token } = await mint("admin", "/v1/teams/doomed");
      expect((await bearer(token).get("/v1/projects")).status).toBe(200);
      await h.owner.ok("DELETE", "/v1/teams/doomed");
      const gone = await bearer(token).get("/v1/projects");
      expect(gone.status).toBe(401);
      expect(gone.headers["www-authenticate"]).toBe('Bearer error="invalid_token"');
      // Someone else asks for the freed name: the id stays with the deleted team's tokens and history.
      const stranger = await h.newMember(h.owner, "/v1/teams/bravo", ["default"]);
      const reuse = await stranger.post("/v1/teams", { name: "Doomed" });
      expect(reuse.status).toBe(409);
      expect(reuse.body.error?.message).toMatch(/deleted team/);
      expect((await stranger.get("/v1/teams/doomed/tokens?all=true")).status).toBe(404);
      expect((await bearer(token).get("/v1/projects")).status).toBe(401);
    });

    it("deleting an organisation makes its tokens and its teams' tokens fail, and neither id is reused", async () => {
      await h.owner.ok("POST", "/v1/orgs", { name: "Shortlived" });
      await h.owner.ok("POST", "/v1/orgs/shortlived/teams", { name: "Inner" });
      const org = await mint("admin", "/v1/orgs/shortlived");
      const inner = await mint("admin", "/v1/teams/inner");
      expect((await bearer(org.token).get("/v1/teams/inner/projects")).status).toBe(200);
      expect((await bearer(inner.token).get("/v1/projects")).status).toBe(200);
      await h.owner.ok("DELETE", "/v1/orgs/shortlived");
      expect((await bearer(org.token).get("/v1/login")).status).toBe(401);
      expect((await bearer(inner.token).get("/v1/login")).status).toBe(401);
      const stranger = await h.newMember(h.owner, "/v1/teams/bravo", ["default"]);
      expect((await stranger.post("/v1/orgs", { name: "Shortlived" })).status).toBe(409);
      expect((await stranger.post("/v1/teams", { name: "Inner" })).status).toBe(409);
    });
  });

  describe("expiry", () => {
    it("an expired token is 401 TOKEN_EXPIRED at its expiry, to the second, from the cache too", async () => {
      // A whole second: the JWT's exp (in seconds) and the stored expiry name the same instant.
      const expiresAt = new Date(Math.ceil(clock.now().getTime() / 1000) * 1000 + 60_000).toISOString();
      const { token } = await mint("reader", alpha, undefined, { expiresAt });
      const t = bearer(token);
      expect((await t.get("/v1/projects")).status).toBe(200);
      try {
        // Served from the cache a millisecond before the instant, refused from it on: to the millisecond.
        clock.freeze(Date.parse(expiresAt) - 1);
        expect(cachedOutcome(h, token)).toMatchObject({ kind: "api" });
        expect((await t.get("/v1/projects")).status).toBe(200);
        clock.freeze(expiresAt);
        const outcome = cachedOutcome(h, token);
        expect(outcome instanceof DomainError && outcome.code === "TOKEN_EXPIRED", JSON.stringify(outcome)).toBe(true);
        refused(await t.get("/v1/projects"), "TOKEN_EXPIRED");
        refused(await t.get("/v1/login"), "TOKEN_EXPIRED");
      } finally {
        clock.thaw();
      }
    });
  });

  describe("revocation and the hot path", () => {
    it("serves a token already seen from memory (no database), and never after its revocation", async () => {
      const { apiToken, token } = await mint("reader");
      // The feed may deliver a late invalidation (PostgreSQL NOTIFY of an earlier change): retry a few times.
      let principal: Principal | undefined | DomainError;
      for (let i = 0; i < 20 && !(principal && !(principal instanceof DomainError)); i++) {
        expect((await bearer(token).get("/v1/login")).status).toBe(200);
        principal = cachedOutcome(h, token);
      }
      expect(principal).toMatchObject({
        kind: "api",
        tokenId: apiToken.id,
        email: OWNER_EMAIL,
        scope: { entityType: "team", entityId: "alpha" },
      });

      const store = h.services.store;
      const spies = [
        vi.spyOn(store.tokens, "byId"),
        vi.spyOn(store.tokens, "keysOf"),
        vi.spyOn(store.roles, "byId"),
        vi.spyOn(store.teams, "byId"),
        vi.spyOn(h.services.keys, "publicKey"),
      ];
      try {
        expect((await bearer(token).get("/v1/login")).status).toBe(200);
        for (const spy of spies) expect(spy).not.toHaveBeenCalled();
      } finally {
        for (const spy of spies) spy.mockRestore();
      }

      await h.owner.ok("DELETE", `${alpha}/tokens/${apiToken.id}`);
      const right = cachedOutcome(h, token);
      expect(right === undefined || (right instanceof DomainError && right.code === "TOKEN_REVOKED")).toBe(true);
      refused(await bearer(token).get("/v1/login"), "TOKEN_REVOKED");
      const after = cachedOutcome(h, token);
      expect(after === undefined || after instanceof DomainError).toBe(true);
      if (after instanceof DomainError) expect(after.code).toBe("TOKEN_REVOKED");
      refused(await bearer(token).get("/v1/projects"), "TOKEN_REVOKED");
    });

    it("requests racing a revocation: every request that starts after it returns is refused", async () => {
      const { apiToken, token } = await mint("reader");
      const t = bearer(token);
      expect((await t.get("/v1/projects")).status).toBe(200);
      const racing = Array.from({ length: 20 }, () => t.get("/v1/projects"));
      await h.owner.ok("DELETE", `${alpha}/tokens/${apiToken.id}`);
      for (const res of await Promise.all(racing)) expect([200, 401]).toContain(res.status);
      const after = await Promise.all(Array.from({ length: 20 }, () => t.get("/v1/projects")));
      for (const res of after) refused(res, "TOKEN_REVOKED");
    });

    it("deleting a key drops it from the cache at once", async () => {
      const { apiToken, token } = await mint("reader");
      expect((await bearer(token).get("/v1/login")).status).toBe(200);
      expect((await bearer(token).get("/v1/login")).status).toBe(200);
      await h.owner.ok("DELETE", `${alpha}/tokens/${apiToken.id}/keys/${apiToken.keys[0]?.id ?? ""}`);
      const outcome = cachedOutcome(h, token);
      expect(outcome === undefined || (outcome instanceof DomainError && outcome.code === "TOKEN_REVOKED")).toBe(true);
      refused(await bearer(token).get("/v1/login"), "TOKEN_REVOKED", token);
    });
  });
});
