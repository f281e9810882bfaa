import { refused } from "../../test-support/refusals.js";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestClock } from "../../test-support/clock.js";
import { dialects } from "../../test-support/databases.js";
import { OWNER_EMAIL, startHarness, type Client, type Harness, type TestReply } from "../../test-support/harness.js";
import { everyPage } from "../../test-support/pages.js";

interface Key {
  id: string;
  issuedAt: string;
  expiresAt: string | null;
}
interface Meta {
  id: string;
  name: string;
  description: string;
  role: { roleId: string; name: string | null; roleType: string; entityType: string };
  entityId: string;
  creatorEmail: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
  revoked: boolean;
  revokedAt: string | null;
  active: boolean;
  keys: Key[];
}
interface Created {
  apiToken: Meta;
  token: string;
}
interface Rotated {
  key: { id: string; issuedAt: string };
  token: string;
}

const TABLES = [
  "users",
  "sessions",
  "orgs",
  "teams",
  "roles",
  "memberships",
  "member_roles",
  "projects",
  "invitations",
  "meta",
  "signing_keys",
  "api_tokens",
  "api_token_keys",
] as const;

// Expiry is tested on the servers' injected clock, moved past a deadline instead of waited for.
const clock = createTestClock();
const inSeconds = clock.inSeconds;
/** A whole second a minute or so ahead: a JWT's `exp` is in seconds, so its boundary is exactly this instant. */
const wholeSecondAhead = (): string => new Date(Math.ceil(clock.now().getTime() / 1000) * 1000 + 60_000).toISOString();
const decode = (jwt: string): { header: Record<string, unknown>; claims: Record<string, unknown> } => {
  const [h, p] = jwt.split(".") as [string, string];
  return {
    header: JSON.parse(Buffer.from(h, "base64url").toString("utf8")) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as Record<string, unknown>,
  };
};
const tokensOf = (res: TestReply): Meta[] => (res.body.data as { apiTokens: Meta[] }).apiTokens;

/** The secret is nowhere in a reply: neither the whole JWT nor its signature. */
function secretFree(res: TestReply, jwt: string): void {
  const signature = jwt.split(".")[2] ?? jwt;
  expect(res.raw.includes(jwt), `${res.raw.slice(0, 200)} contains the token`).toBe(false);
  expect(res.raw.includes(signature), "reply contains the token's signature").toBe(false);
}

describe.each(dialects())("API tokens on %s", (kind) => {
  let h: Harness;
  const team = "/v1/teams/platform";
  const make = (body: Record<string, unknown>, path = team, as?: Client) => (as ?? h.owner).ok<Created>("POST", `${path}/tokens`, body);

  beforeAll(async () => {
    h = await startHarness(kind, {}, { now: clock.now });
    await h.owner.ok("POST", "/v1/teams", { name: "Platform" });
    await h.owner.ok("POST", `${team}/projects`, { name: "Billing" });
  });
  afterAll(() => h.close());

  describe("create", () => {
    it("returns the metadata and a JWT: EdDSA, at+jwt, a published kid, the claims of API.md and no permissions", async () => {
      const expiresAt = inSeconds(86_400);
      const before = Math.floor(clock.now().getTime() / 1000);
      const { apiToken, token } = await make({ name: "CI", description: "deploys", roleId: "default", expiresAt });
      const after = Math.ceil(clock.now().getTime() / 1000);
      expect(apiToken).toEqual({
        id: expect.stringMatching(/^[A-Za-z0-9_-]{1,64}$/) as string,
        name: "CI",
        description: "deploys",
        role: { roleId: "default", name: "Default", roleType: "team", entityType: "team" },
        entityId: "platform",
        creatorEmail: OWNER_EMAIL,
        createdAt: expect.any(String) as string,
        expiresAt,
        lastUsedAt: null,
        lastUsedIp: null,
        revoked: false,
        revokedAt: null,
        active: true,
        keys: [{ id: expect.any(String) as string, issuedAt: apiToken.createdAt, expiresAt }],
        allowedIps: [],
        creatorLeft: false,
      });

      const { header, claims } = decode(token);
      expect(header).toEqual({ alg: "EdDSA", typ: "at+jwt", kid: expect.any(String) as string });
      expect(Object.keys(claims).sort()).toEqual(["aud", "client_id", "entityId", "entityType", "exp", "iat", "iss", "jti", "sub"]);
      expect(claims).toMatchObject({
        iss: "http://latchkey.test",
        aud: "http://latchkey.test/v1",
        sub: apiToken.id,
        client_id: apiToken.id,
        jti: apiToken.keys[0]?.id,
        entityType: "team",
        entityId: "platform",
        exp: Math.floor(Date.parse(expiresAt) / 1000),
      });
      expect(claims["iat"]).toBeGreaterThanOrEqual(before);
      expect(claims["iat"]).toBeLessThanOrEqual(after);
      expect(JSON.stringify(claims)).not.toMatch(/permission|scope|role/i);

      const jwks = await h.anon.get("/.well-known/jwks.json");
      expect(jwks.status).toBe(200);
      const keys = (jwks.body as unknown as { keys: Record<string, unknown>[] }).keys;
      const published = keys.find((k) => k["kid"] === header["kid"]);
      expect(published).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
      for (const k of keys) for (const secret of ["d", "p", "q", "k"]) expect(k).not.toHaveProperty(secret);

      const login = await h.client({ bearer: token }).get("/v1/login");
      expect(login.status, login.raw).toBe(200);
      expect(login.body.data).toMatchObject({ valid: true, tokenKind: "api" });
    });

    it("creates tokens without expiry (null or omitted): no exp in the JWT", async () => {
      for (const body of [
        { name: "Forever", roleId: "default", expiresAt: null },
        { name: "Forever 2", roleId: "default" },
      ]) {
        const { apiToken, token } = await make(body);
        expect(apiToken.expiresAt).toBeNull();
        expect(apiToken.keys[0]?.expiresAt).toBeNull();
        expect(apiToken.description).toBe("");
        expect(decode(token).claims).not.toHaveProperty("exp");
        expect((await h.client({ bearer: token }).get("/v1/login")).status).toBe(200);
      }
    });

    it("refuses a lifetime in the past or now, and bad input, with 400 naming the field", async () => {
      for (const expiresAt of [inSeconds(-60), clock.now().toISOString(), "2000-01-01T00:00:00+02:00"]) {
        const res = await h.owner.post(`${team}/tokens`, { name: "Past", roleId: "default", expiresAt });
        expect(res.status, res.raw).toBe(400);
        expect(res.body.error?.code).toBe("VALIDATION_FAILED");
        expect(res.body.error?.details).toHaveProperty("fields.expiresAt");
      }
      for (const [body, field] of [
        [{ name: "X", roleId: "default", expiresAt: "tomorrow" }, "expiresAt"],
        [{ name: "X", roleId: "default", expiresAt: 1_900_000_000 }, "expiresAt"],
        [{ roleId: "default" }, "name"],
        [{ name: "", roleId: "default" }, "name"],
        [{ name: "X" }, "roleId"],
        [{ name: "X", roleId: "Not A Slug" }, "roleId"],
        [{ name: "X", roleId: "default", permissions: { projectScope: ["project.delete"] } }, "permissions"],
      ] as const) {
        const res = await h.owner.post(`${team}/tokens`, body);
        expect(res.status, res.raw).toBe(400);
        expect(JSON.stringify(res.body.error?.details)).toContain(field);
      }
      const unknownRole = await h.owner.post(`${team}/tokens`, { name: "X", roleId: "nope" });
      expect(unknownRole.status).toBe(404);
      const list = await h.owner.get(`${team}/tokens?all=true`);
      expect(tokensOf(list).map((t) => t.name)).not.toContain("Past");
      expect(tokensOf(list).map((t) => t.name)).not.toContain("X");
    });
  });

  describe("the secret is shown once", () => {
    it("appears in no later reply: list, get, patch, rotate, revoke, /v1/auth, /v1/login, errors", async () => {
      const { apiToken, token } = await make({ name: "Once", roleId: "admin" });
      const bearer = h.client({ bearer: token });
      const base = `${team}/tokens/${apiToken.id}`;
      const replies: TestReply[] = [
        await bearer.get("/v1/login"),
        await bearer.get("/v1/auth"),
        await bearer.get("/v1/tokens"),
        await bearer.get(`/v1/tokens/${apiToken.id}`),
        await h.owner.get(`${team}/tokens`),
        await h.owner.get(`${team}/tokens?all=true`),
        await h.owner.get(base),
        await h.owner.patch(base, { name: "Once renamed" }),
        await bearer.get(`/v1/teams/nowhere/tokens`),
        await bearer.post(`/v1/tokens`, { name: "bad", roleId: "default", expiresAt: "bad" }),
      ];
      const rotated = await h.owner.ok<Rotated>("POST", `${base}/keys`, { otherKeysExpiresAt: inSeconds(600) });
      replies.push(await h.owner.get(base));
      replies.push(await h.owner.delete(base));
      replies.push(await bearer.get("/v1/login"));
      replies.push(await h.client({ bearer: rotated.token }).get("/v1/login"));
      replies.push(await h.owner.get(`${team}/tokens?all=true`));
      for (const res of replies) {
        secretFree(res, token);
        secretFree(res, rotated.token);
      }
      expect(rotated.token).not.toBe(token);
    });

    it("is stored nowhere: no table holds it, the key row keeps only its SHA-256", async () => {
      const { apiToken, token } = await make({ name: "Stored", roleId: "default" });
      const rotated = await h.owner.ok<Rotated>("POST", `${team}/tokens/${apiToken.id}/keys`, { otherKeysExpiresAt: inSeconds(600) });
      await h.client({ bearer: token }).get("/v1/login");
      await h.client({ bearer: rotated.token }).get("/v1/login");
      await h.services.lastUsed.flush();
      const db = h.services.store.db.kysely;
      for (const table of TABLES) {
        const rows = JSON.stringify(await db.selectFrom(table).selectAll().execute());
        for (const jwt of [token, rotated.token]) {
          const [, payload, signature] = jwt.split(".") as [string, string, string];
          expect(rows.includes(signature), `${table} holds a signature`).toBe(false);
          expect(rows.includes(payload), `${table} holds a payload`).toBe(false);
        }
      }
      const keys = await db.selectFrom("api_token_keys").selectAll().where("token_id", "=", apiToken.id).execute();
      const hash = (s: string) => createHash("sha256").update(s).digest("hex");
      expect(keys.map((k) => k.secret_hash).sort()).toEqual([hash(token), hash(rotated.token)].sort());
    });
  });

  describe("list, get, patch", () => {
    beforeAll(async () => {
      await h.owner.ok("POST", "/v1/teams", { name: "Listing" });
    });

    it("lists newest first; by default without revoked and expired tokens, with all=true including them", async () => {
      const path = "/v1/teams/listing";
      const a = await make({ name: "a", roleId: "default" }, path);
      const b = await make({ name: "b", roleId: "default" }, path);
      const c = await make({ name: "c", roleId: "default", expiresAt: inSeconds(60) }, path);
      const d = await make({ name: "d", roleId: "default", expiresAt: inSeconds(3600) }, path);
      await h.owner.ok("DELETE", `${path}/tokens/${b.apiToken.id}`);
      expect((await h.owner.ok<Meta>("GET", `${path}/tokens/${c.apiToken.id}`)).active).toBe(true);
      clock.advance(61_000);
      expect((await h.owner.ok<Meta>("GET", `${path}/tokens/${c.apiToken.id}`)).active, "token c should have expired").toBe(false);

      const live = await h.owner.get(`${path}/tokens`);
      expect(live.status).toBe(200);
      expect(tokensOf(live).map((t) => t.name)).toEqual(["d", "a"]);
      expect(live.body.pagination).toEqual({ hasNextPage: false, count: 2 });
      expect(tokensOf(await h.owner.get(`${path}/tokens?all=false`)).map((t) => t.name)).toEqual(["d", "a"]);

      const all = tokensOf(await h.owner.get(`${path}/tokens?all=true`));
      expect(all.map((t) => t.name)).toEqual(["d", "c", "b", "a"]);
      expect(all.find((t) => t.name === "b")).toMatchObject({ revoked: true, active: false, revokedAt: expect.any(String) as string });
      expect(all.find((t) => t.name === "c")).toMatchObject({ revoked: false, active: false, revokedAt: null });
      expect(all.find((t) => t.name === "a")).toMatchObject({ revoked: false, active: true });
      for (const t of all) expect(t).not.toHaveProperty("token");

      const { items, pages } = await everyPage<{ name: string }>(h.owner, `${path}/tokens?all=true&per_page=1`, "apiTokens");
      expect(items.map((t) => t.name)).toEqual(["d", "c", "b", "a"]);
      expect(pages).toBe(4);
      void a;
      void d;
      for (const q of ["all=yes", "all=1", "per_page=0", "per_page=101", "cursor=garbage", "colour=red"]) {
        expect((await h.owner.get(`${path}/tokens?${q}`)).status, q).toBe(400);
      }
    });

    it("gets one token's metadata; unknown and malformed ids are 404 and 400", async () => {
      const { apiToken } = await make({ name: "Get me", description: "d", roleId: "default" });
      expect(await h.owner.ok("GET", `${team}/tokens/${apiToken.id}`)).toEqual(apiToken);
      expect((await h.owner.get(`${team}/tokens/tok_doesnotexist`)).status).toBe(404);
      expect((await h.owner.get(`${team}/tokens/${"x".repeat(65)}`)).status).toBe(400);
      expect((await h.owner.get(`${team}/tokens/a%2Fb`)).status).toBe(400);
    });

    it("patches name and description only; never the role or the lifetime", async () => {
      const { apiToken, token } = await make({ name: "Old", description: "old", roleId: "default" });
      const url = `${team}/tokens/${apiToken.id}`;
      expect(await h.owner.ok("PATCH", url, { name: "New" })).toMatchObject({ name: "New", description: "old" });
      expect(await h.owner.ok("PATCH", url, { description: "new" })).toMatchObject({ name: "New", description: "new" });
      for (const body of [{ roleId: "owner" }, { role: { roleId: "owner" } }, { expiresAt: null }, { name: "" }, { revoked: false }]) {
        const res = await h.owner.patch(url, body);
        expect(res.status, JSON.stringify(body)).toBe(400);
      }
      const after = await h.owner.ok<Meta>("GET", url);
      expect(after).toMatchObject({ name: "New", description: "new", role: { roleId: "default" }, expiresAt: null });
      expect((await h.client({ bearer: token }).get("/v1/login")).status).toBe(200);
      expect((await h.owner.patch(`${team}/tokens/tok_doesnotexist`, { name: "x" })).status).toBe(404);
    });
  });

  describe("keys", () => {
    it("rotates without otherKeysExpiresAt: the new secret works, the old one stops at once (TOKEN_EXPIRED)", async () => {
      const { apiToken, token } = await make({ name: "Rotate now", roleId: "default" });
      const url = `${team}/tokens/${apiToken.id}`;
      expect((await h.client({ bearer: token }).get("/v1/login")).status).toBe(200);
      const rotated = await h.owner.ok<Rotated>("POST", `${url}/keys`);
      expect(rotated).toEqual({
        key: { id: expect.any(String) as string, issuedAt: expect.any(String) as string },
        token: expect.any(String) as string,
      });
      expect(decode(rotated.token).claims).toMatchObject({ sub: apiToken.id, jti: rotated.key.id });
      expect((await h.client({ bearer: rotated.token }).get("/v1/login")).status).toBe(200);
      refused(await h.client({ bearer: token }).get("/v1/login"), "TOKEN_EXPIRED");
      const meta = await h.owner.ok<Meta>("GET", url);
      expect(meta.active).toBe(true);
      expect(meta.keys.map((k) => k.id)).toContain(rotated.key.id);
      expect(meta.keys.find((k) => k.id === rotated.key.id)?.expiresAt).toBeNull();
    });

    it("rotates with otherKeysExpiresAt: the old secret keeps working until then, then TOKEN_EXPIRED", async () => {
      const { apiToken, token } = await make({ name: "Rotate later", roleId: "default" });
      const url = `${team}/tokens/${apiToken.id}`;
      const until = wholeSecondAhead();
      const rotated = await h.owner.ok<Rotated>("POST", `${url}/keys`, { otherKeysExpiresAt: until });
      const old = h.client({ bearer: token });
      expect((await old.get("/v1/login")).status).toBe(200);
      expect((await h.client({ bearer: rotated.token }).get("/v1/login")).status).toBe(200);
      const meta = await h.owner.ok<Meta>("GET", url);
      expect(meta.keys.find((k) => k.id === apiToken.keys[0]?.id)?.expiresAt).toBe(until);
      try {
        // Both sides of the instant: served a millisecond before it, refused from it on.
        clock.freeze(Date.parse(until) - 1);
        expect((await old.get("/v1/login")).status).toBe(200);
        clock.freeze(until);
        refused(await old.get("/v1/login"), "TOKEN_EXPIRED");
      } finally {
        clock.thaw();
      }
      expect((await h.client({ bearer: rotated.token }).get("/v1/login")).status).toBe(200);
    });

    it("refuses otherKeysExpiresAt in the past, unknown fields, and regenerating a revoked token", async () => {
      const { apiToken } = await make({ name: "Rotate bad", roleId: "default" });
      const url = `${team}/tokens/${apiToken.id}`;
      expect((await h.owner.post(`${url}/keys`, { otherKeysExpiresAt: inSeconds(-60) })).status).toBe(400);
      expect((await h.owner.post(`${url}/keys`, { otherKeysExpiresAt: "soon" })).status).toBe(400);
      expect((await h.owner.post(`${url}/keys`, { expiresAt: inSeconds(60) })).status).toBe(400);
      expect((await h.owner.post(`${team}/tokens/tok_doesnotexist/keys`, {})).status).toBe(404);
      await h.owner.ok("DELETE", url);
      const res = await h.owner.post(`${url}/keys`, {});
      expect(res.status).toBe(409);
      expect(res.raw).not.toMatch(/"token":/);
    });

    it("never answers a regeneration with a secret that cannot work (an expired token)", async () => {
      const { apiToken } = await make({ name: "Expiring", roleId: "default", expiresAt: inSeconds(60) });
      const url = `${team}/tokens/${apiToken.id}`;
      clock.advance(61_000);
      expect((await h.owner.ok<Meta>("GET", url)).active).toBe(false);
      const res = await h.owner.post(`${url}/keys`, {});
      if (res.status === 200) {
        const login = await h.client({ bearer: (res.body.data as Rotated).token }).get("/v1/login");
        expect(login.status, `regenerated an expired token into a dead secret: ${login.raw}`).toBe(200);
      } else {
        expect([400, 409]).toContain(res.status);
        expect(res.raw).not.toMatch(/"token":/);
      }
    });

    it("deletes one key: that secret stops at once (401), the other keeps working", async () => {
      const { apiToken, token } = await make({ name: "Two keys", roleId: "default" });
      const url = `${team}/tokens/${apiToken.id}`;
      const rotated = await h.owner.ok<Rotated>("POST", `${url}/keys`, { otherKeysExpiresAt: inSeconds(3600) });
      const oldKey = apiToken.keys[0]?.id ?? "";
      expect((await h.client({ bearer: token }).get("/v1/login")).status).toBe(200);
      expect(await h.owner.ok("DELETE", `${url}/keys/${oldKey}`)).toEqual({ id: oldKey, deleted: true });
      const res = await h.client({ bearer: token }).get("/v1/login");
      expect(res.status).toBe(401);
      // A deleted key is a revoked secret of a token Latchkey issued: refused as such, on the token's audit feed.
      expect(res.body.error?.code).toBe("TOKEN_REVOKED");
      expect((await h.client({ bearer: rotated.token }).get("/v1/login")).status).toBe(200);
      expect((await h.owner.ok<Meta>("GET", url)).keys.map((k) => k.id)).toEqual([rotated.key.id]);
      expect((await h.owner.delete(`${url}/keys/${oldKey}`)).status).toBe(404);
      const other = await make({ name: "Other", roleId: "default" });
      expect((await h.owner.delete(`${url}/keys/${other.apiToken.keys[0]?.id ?? ""}`)).status).toBe(404);
      expect((await h.client({ bearer: other.token }).get("/v1/login")).status).toBe(200);
    });
  });

  describe("signing keys", () => {
    it("rotating the instance's signing key breaks no issued token; new tokens carry the new kid, both are published", async () => {
      const before = await make({ name: "Before rotation", roleId: "default" });
      const oldKid = decode(before.token).header["kid"];
      const newKid = await h.services.keys.rotate();
      expect(newKid).not.toBe(oldKid);
      // First seen after the rotation: verified with the old, still published key.
      expect((await h.client({ bearer: before.token }).get("/v1/login")).status).toBe(200);
      const after = await make({ name: "After rotation", roleId: "default" });
      expect(decode(after.token).header["kid"]).toBe(newKid);
      expect((await h.client({ bearer: after.token }).get("/v1/login")).status).toBe(200);
      const kids = ((await h.anon.get("/.well-known/jwks.json")).body as unknown as { keys: { kid: string }[] }).keys.map((k) => k.kid);
      expect(kids).toEqual(expect.arrayContaining([oldKid, newKid]));
    });
  });

  describe("revoke", () => {
    it("revokes for good: the next request is 401 TOKEN_REVOKED; the record stays, listed with all=true", async () => {
      const { apiToken, token } = await make({ name: "Doomed", roleId: "default" });
      const bearer = h.client({ bearer: token });
      expect((await bearer.get("/v1/projects")).status).toBe(200);
      const revoked = await h.owner.ok<Meta>("DELETE", `${team}/tokens/${apiToken.id}`);
      expect(revoked).toMatchObject({ id: apiToken.id, revoked: true, active: false, revokedAt: expect.any(String) as string });
      refused(await bearer.get("/v1/projects"), "TOKEN_REVOKED");
      refused(await bearer.get("/v1/login"), "TOKEN_REVOKED");
      expect(tokensOf(await h.owner.get(`${team}/tokens`)).map((t) => t.id)).not.toContain(apiToken.id);
      expect(tokensOf(await h.owner.get(`${team}/tokens?all=true`)).find((t) => t.id === apiToken.id)).toMatchObject({ revoked: true });
      // Revoking again changes nothing; nothing un-revokes it.
      const again = await h.owner.delete(`${team}/tokens/${apiToken.id}`);
      expect([200, 404, 409]).toContain(again.status);
      expect((await h.owner.ok<Meta>("GET", `${team}/tokens/${apiToken.id}`)).revokedAt).toBe(revoked.revokedAt);
      await h.owner.ok("PATCH", `${team}/tokens/${apiToken.id}`, { name: "Still doomed" });
      refused(await bearer.get("/v1/login"), "TOKEN_REVOKED");
      expect((await h.owner.delete(`${team}/tokens/tok_doesnotexist`)).status).toBe(404);
    });
  });

  describe("last used", () => {
    it("shows lastUsedAt and lastUsedIp from memory at once, and writes them to the database in a batch", async () => {
      const { apiToken, token } = await make({ name: "Used", roleId: "default" });
      const before = clock.now().toISOString();
      expect((await h.client({ bearer: token }).get("/v1/projects")).status).toBe(200);
      const after = clock.now().toISOString();
      const meta = await h.owner.ok<Meta>("GET", `${team}/tokens/${apiToken.id}`);
      expect(meta.lastUsedIp).toBe("127.0.0.1");
      expect(meta.lastUsedAt).not.toBeNull();
      expect(meta.lastUsedAt! >= before && meta.lastUsedAt! <= after).toBe(true);
      expect(tokensOf(await h.owner.get(`${team}/tokens`)).find((t) => t.id === apiToken.id)).toMatchObject({
        lastUsedAt: meta.lastUsedAt,
        lastUsedIp: "127.0.0.1",
      });
      await h.services.lastUsed.flush();
      const row = await h.services.store.db.kysely.selectFrom("api_tokens").selectAll().where("id", "=", apiToken.id).executeTakeFirst();
      expect(row).toMatchObject({ last_used_at: meta.lastUsedAt, last_used_ip: "127.0.0.1" });
      // A later use moves it forward; the owner's own requests (a session) do not count as uses of the token.
      clock.advance(1000);
      await h.client({ bearer: token }).get("/v1/login");
      const later = await h.owner.ok<Meta>("GET", `${team}/tokens/${apiToken.id}`);
      expect(later.lastUsedAt! > meta.lastUsedAt!).toBe(true);
      const unused = await make({ name: "Unused", roleId: "default" });
      expect(await h.owner.ok<Meta>("GET", `${team}/tokens/${unused.apiToken.id}`)).toMatchObject({ lastUsedAt: null, lastUsedIp: null });
    });
  });

  describe("identity", () => {
    it("GET /v1/login is 200 for a valid token and 401 without one", async () => {
      const { token } = await make({ name: "Login", roleId: "default" });
      expect(await h.client({ bearer: token }).ok("GET", "/v1/login")).toMatchObject({ valid: true, tokenKind: "api" });
      expect((await h.anon.get("/v1/login")).status).toBe(401);
    });

    it("GET /v1/auth describes a team token as API.md says, with the role's permissions read live", async () => {
      const expiresAt = inSeconds(3600);
      const { apiToken, token } = await make({ name: "Who am I", roleId: "default", expiresAt });
      const auth = await h.client({ bearer: token }).ok<Record<string, unknown>>("GET", "/v1/auth");
      const role = await h.owner.ok<{ permissions: unknown; restrictions: unknown }>("GET", `${team}/roles/default`);
      expect(auth).toEqual({
        tokenKind: "api",
        id: apiToken.id,
        name: "Who am I",
        entityType: "team",
        entityId: "platform",
        orgId: null,
        role: { id: "default", name: "Default", type: "team" },
        permissions: role.permissions,
        restrictions: role.restrictions,
        creatorEmail: OWNER_EMAIL,
        createdAt: apiToken.createdAt,
        expiresAt,
      });
      const permissions = auth["permissions"] as { orgScope: string[]; teamScope: string[]; projectScope: string[] };
      expect(permissions.teamScope).toContain("team.read");
      expect(permissions.teamScope).not.toContain("team.tokens.manage");
    });
  });

  describe("implied scope and organisation tokens", () => {
    beforeAll(async () => {
      await h.owner.ok("POST", "/v1/orgs", { name: "Acme" });
      await h.owner.ok("POST", "/v1/orgs/acme/teams", { name: "Web" });
    });

    it("a team token manages its own team's tokens through /v1/tokens", async () => {
      const admin = await make({ name: "Admin token", roleId: "admin" });
      const bearer = h.client({ bearer: admin.token });
      const child = await bearer.ok<Created>("POST", "/v1/tokens", { name: "Child", roleId: "default" });
      expect(child.apiToken).toMatchObject({ entityId: "platform", role: { roleId: "default" }, creatorEmail: OWNER_EMAIL });
      expect(tokensOf(await bearer.get("/v1/tokens")).map((t) => t.id)).toContain(child.apiToken.id);
      expect(await bearer.ok("GET", `/v1/tokens/${child.apiToken.id}`)).toMatchObject({ name: "Child" });
      expect(await bearer.ok("PATCH", `/v1/tokens/${child.apiToken.id}`, { name: "Child 2" })).toMatchObject({ name: "Child 2" });
      const rotated = await bearer.ok<Rotated>("POST", `/v1/tokens/${child.apiToken.id}/keys`);
      expect((await h.client({ bearer: rotated.token }).get("/v1/login")).status).toBe(200);
      expect(await bearer.ok("DELETE", `/v1/tokens/${child.apiToken.id}`)).toMatchObject({ revoked: true });
      refused(await h.client({ bearer: rotated.token }).get("/v1/login"), "TOKEN_REVOKED");
      // A person's session implies no team.
      expect((await h.owner.get("/v1/tokens")).status).toBe(400);
    });

    it("creates organisation tokens from organisation roles, under /v1/orgs/{orgId}/tokens and /v1/tokens", async () => {
      const { apiToken, token } = await make({ name: "Org token", roleId: "admin" }, "/v1/orgs/acme");
      expect(apiToken).toMatchObject({ entityId: "acme", role: { roleId: "admin", roleType: "org", entityType: "org" } });
      expect(decode(token).claims).toMatchObject({ entityType: "org", entityId: "acme", sub: apiToken.id });
      const bearer = h.client({ bearer: token });
      const auth = await bearer.ok<Record<string, unknown>>("GET", "/v1/auth");
      expect(auth).toMatchObject({
        tokenKind: "api",
        entityType: "org",
        entityId: "acme",
        orgId: "acme",
        role: { id: "admin", type: "org" },
      });
      expect((auth["restrictions"] as { enabled: boolean }).enabled).toBe(false);
      expect(tokensOf(await bearer.get("/v1/tokens")).map((t) => t.id)).toContain(apiToken.id);
      expect(tokensOf(await h.owner.get("/v1/orgs/acme/tokens")).map((t) => t.id)).toEqual([apiToken.id]);
      const child = await bearer.ok<Created>("POST", "/v1/tokens", { name: "Org child", roleId: "member" });
      expect(child.apiToken).toMatchObject({ entityId: "acme", role: { roleId: "member", roleType: "org" } });
      expect(await h.owner.ok("DELETE", `/v1/orgs/acme/tokens/${child.apiToken.id}`)).toMatchObject({ revoked: true });
      refused(await h.client({ bearer: child.token }).get("/v1/login"), "TOKEN_REVOKED");
      // An organisation's tokens are not a team's, and the other way round.
      expect((await h.owner.get(`/v1/teams/web/tokens/${apiToken.id}`)).status).toBe(404);
      expect((await h.owner.get(`/v1/orgs/acme/tokens/${tokensOf(await h.owner.get(`${team}/tokens`))[0]?.id ?? "x"}`)).status).toBe(404);
    });

    it("a team token of a team inside an organisation names the organisation in /v1/auth", async () => {
      const { token } = await make({ name: "Web token", roleId: "default" }, "/v1/teams/web");
      expect(await h.client({ bearer: token }).ok("GET", "/v1/auth")).toMatchObject({
        entityType: "team",
        entityId: "web",
        orgId: "acme",
        role: { id: "default", type: "team" },
      });
    });

    it("refuses an organisation role for a team token and a team role for an organisation token", async () => {
      await h.owner.ok("POST", "/v1/orgs/acme/roles", { id: "org-only", name: "Org only", permissions: { orgScope: ["org.read"] } });
      expect((await h.owner.post("/v1/teams/web/tokens", { name: "x", roleId: "org-only" })).status).toBe(404);
      await h.owner.ok("POST", "/v1/teams/web/roles", { id: "team-only", name: "Team only", permissions: { teamScope: ["team.read"] } });
      expect((await h.owner.post("/v1/orgs/acme/tokens", { name: "x", roleId: "team-only" })).status).toBe(404);
    });
  });
});

describe.each(dialects())("API token lifetime limit on %s", (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind, { LATCHKEY_TOKEN_MAX_LIFETIME_DAYS: "1" }, { now: clock.now });
    await h.owner.ok("POST", "/v1/teams", { name: "Limited" });
  });
  afterAll(() => h.close());

  it("refuses lifetimes beyond LATCHKEY_TOKEN_MAX_LIFETIME_DAYS and tokens without expiry", async () => {
    for (const expiresAt of [inSeconds(86_400 + 120), inSeconds(365 * 86_400), null]) {
      const res = await h.owner.post("/v1/teams/limited/tokens", { name: "Long", roleId: "default", expiresAt });
      expect(res.status, String(expiresAt)).toBe(400);
      expect(res.body.error?.code).toBe("VALIDATION_FAILED");
      expect(res.body.error?.details).toHaveProperty("fields.expiresAt");
    }
    const ok = await h.owner.ok<Created>("POST", "/v1/teams/limited/tokens", {
      name: "Short",
      roleId: "default",
      expiresAt: inSeconds(86_400 - 120),
    });
    expect((await h.client({ bearer: ok.token }).get("/v1/login")).status).toBe(200);
    expect(tokensOf(await h.owner.get("/v1/teams/limited/tokens?all=true")).map((t) => t.name)).toEqual(["Short"]);
  });
});
