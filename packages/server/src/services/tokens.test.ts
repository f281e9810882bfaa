import { DomainError } from "@latchkey/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { entityFor, type Entity } from "../access/access.js";
import type { Principal } from "../access/principal.js";
import type { ChangeEvent } from "../store/change-feed.js";
import { events } from "../test-support/audit.js";
import { dialects } from "../test-support/databases.js";
import { startHarness, type Harness } from "../test-support/harness.js";
import { sessionPrincipal } from "../test-support/principals.js";
import { createTokenService, type TokenService } from "./tokens.js";
import { announcingRecorder } from "./webhook-events.js";

// The token service below the HTTP layer (issue 22, mutation testing): each rule at its boundary (a lifetime ending
// now, the longest lifetime allowed, a regeneration's other keys ending now), what is stored and signed, what is
// audited, and who may act on which token. The service runs on the harness's store on a clock of its own (`t`);
// what it writes is read back through the store and the API.

const DAY = 86_400_000;
const MINUTE = 60_000;

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString()) as Record<string, unknown>;

describe.each(dialects())("the token service on %s", (kind) => {
  let h: Harness;
  let t = Date.now();
  const now = () => new Date(t);
  const iso = (ms: number) => new Date(ms).toISOString();
  let owner: Principal;
  /** A member whose role manages tokens and holds little else. */
  let narrow: Principal;
  let alpha: Entity;
  let tokens: TokenService;

  const serviceWith = (tokenMaxLifetimeMs: number | null) =>
    createTokenService({
      store: h.services.store,
      config: { ...h.config, tokenMaxLifetimeMs },
      keys: h.services.keys,
      issuer: h.services.issuer,
      lastUsed: h.services.lastUsed,
      now,
      record: announcingRecorder(h.services.audit.change, now),
    });

  const session = (userId: string, email: string): Promise<Principal> => sessionPrincipal(h.services.store, userId, email);

  beforeAll(async () => {
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/teams", { name: "Alpha" });
    await h.owner.ok("POST", "/v1/teams", { name: "Beta" });
    await h.owner.ok("POST", "/v1/teams/alpha/roles", {
      id: "token-manager",
      name: "Token manager",
      permissions: { teamScope: ["team.read", "team.tokens.read", "team.tokens.manage"] },
    });
    const member = await h.newMember(h.owner, "/v1/teams/alpha", ["token-manager"], "narrow@example.com");
    owner = await session(h.owner.userId, "owner@example.com");
    narrow = await session(member.userId, "narrow@example.com");
    alpha = await entityFor(h.services.store, owner, "team", "alpha");
    tokens = serviceWith(null);
  });
  /** Every committed change event, as the event stream for verifiers sends them. */
  const published: ChangeEvent[] = [];
  beforeEach(() => {
    t = Date.now();
  });
  afterAll(() => h.close());
  beforeAll(() => {
    h.services.store.feed.subscribeCommitted((event) => published.push(event));
  });
  /**
   * A token's committed change events so far, without the time PostgreSQL's NOTIFY adds. Waits for a marker published
   * now to come back first: NOTIFY delivers in commit order, so every earlier event has arrived by then.
   */
  const publishedFor = async (tokenId: string): Promise<ChangeEvent[]> => {
    const marker = published.length;
    await h.services.store.publish({ t: "webhooks" });
    for (let i = 0; i < 500 && !published.slice(marker).some((e) => e.t === "webhooks"); i++) await new Promise((r) => setTimeout(r, 10));
    return published
      .filter((e) => e.t === "token" && e.id === tokenId)
      .map((e) => {
        const { at: _at, ...event } = e as ChangeEvent & { at?: number };
        return event;
      });
  };

  const refusal = async (attempt: () => Promise<unknown>): Promise<{ code: string; message: string; details: unknown }> => {
    try {
      await attempt();
    } catch (error) {
      if (error instanceof DomainError) return { code: error.code, message: error.message, details: error.details };
      throw error;
    }
    throw new Error("allowed");
  };
  const make = (fields: Record<string, unknown> = {}, service = tokens, as = owner) =>
    service.create(as, alpha, { name: "probe", description: "", roleId: "default", ...fields });
  const keysOf = (tokenId: string) => h.services.store.tokens.keysOf([tokenId]);
  /** The token's change events in its audit feed, newest first. */
  const changes = async (tokenId: string) =>
    (await events(h.owner, `/v1/teams/alpha/tokens/${tokenId}/audit-logs?per_page=50`)).filter((e) => e.eventType !== "request");

  describe("create", () => {
    it("stores and signs what was asked: creator, lifetime to the second in the JWT, allow-list, one key", async () => {
      const end = Math.floor((t + DAY) / 1000) * 1000 + 700;
      const { apiToken, token } = await make({ name: "ci", description: "the CI", expiresAt: iso(end), allowedIps: ["203.0.113.0/24"] });
      const row = await h.services.store.tokens.byId(apiToken.id);
      expect(row).toMatchObject({
        entity_type: "team",
        entity_id: "alpha",
        role_id: "default",
        name: "ci",
        description: "the CI",
        creator_id: owner.userId,
        creator_email: "owner@example.com",
        created_at: iso(t),
        updated_at: iso(t),
        expires_at: iso(end),
        revoked_at: null,
        allowed_ips: '["203.0.113.0/24"]',
        creator_left_at: null,
      });
      const keys = await keysOf(apiToken.id);
      expect(keys).toEqual([
        expect.objectContaining({ id: apiToken.keys[0]?.id, issued_at: iso(t), expires_at: iso(end), revoked_at: null }),
      ]);
      expect(claimsOf(token)).toMatchObject({
        sub: apiToken.id,
        client_id: apiToken.id,
        jti: apiToken.keys[0]?.id,
        iat: Math.floor(t / 1000),
        exp: Math.floor(end / 1000),
        entityType: "team",
        entityId: "alpha",
        ...h.services.issuer.claims(),
      });
      expect(apiToken).toMatchObject({ name: "ci", description: "the CI", expiresAt: iso(end), allowedIps: ["203.0.113.0/24"] });
      expect(apiToken.role).toMatchObject({ roleId: "default", name: "Default" });
      const [created] = await changes(apiToken.id);
      expect(created).toMatchObject({ eventType: "apiTokens.create", resource: { type: "apiTokens", id: apiToken.id } });
      expect(created?.details.after).toMatchObject({ id: apiToken.id, name: "ci" });
    });

    it("without a lifetime: no expiry anywhere, no allow-list", async () => {
      const { apiToken, token } = await make();
      expect(claimsOf(token)).not.toHaveProperty("exp");
      expect(await h.services.store.tokens.byId(apiToken.id)).toMatchObject({ expires_at: null, allowed_ips: "[]" });
      expect((await keysOf(apiToken.id))[0]?.expires_at).toBeNull();
    });

    it("refuses a lifetime ending now, takes one ending a millisecond later", async () => {
      expect(await refusal(() => make({ expiresAt: iso(t) }))).toEqual({
        code: "VALIDATION_FAILED",
        message: "expiresAt must be in the future",
        details: { fields: { expiresAt: "must be in the future" } },
      });
      expect((await make({ expiresAt: iso(t + 1) })).apiToken.expiresAt).toBe(iso(t + 1));
    });

    it("takes the longest lifetime allowed to the millisecond, and no more, nor none", async () => {
      const limited = serviceWith(DAY);
      expect((await make({ expiresAt: iso(t + DAY) }, limited)).apiToken.expiresAt).toBe(iso(t + DAY));
      const beyond = {
        code: "VALIDATION_FAILED",
        message: "tokens may live at most 1 days here",
        details: { fields: { expiresAt: "beyond the maximum lifetime (LATCHKEY_TOKEN_MAX_LIFETIME_DAYS)" } },
      };
      expect(await refusal(() => make({ expiresAt: iso(t + DAY + 1) }, limited))).toEqual(beyond);
      expect(await refusal(() => make({ expiresAt: null }, limited))).toEqual(beyond);
      expect(await refusal(() => make({}, limited))).toEqual(beyond);
      expect((await refusal(() => make({ expiresAt: iso(t + 40 * DAY) }, serviceWith(30 * DAY)))).message).toBe(
        "tokens may live at most 30 days here",
      );
    });

    it("refuses a role the creator does not cover, naming what is missing, and stores nothing", async () => {
      const count = async () =>
        (await h.services.store.db.kysely.selectFrom("api_tokens").select("id").where("entity_id", "=", "alpha").execute()).length;
      const before = await count();
      const refused = await refusal(() => make({ roleId: "owner" }, tokens, narrow));
      expect(refused.code).toBe("FORBIDDEN");
      expect(refused.message).toBe("a token of role owner would grant more than you hold");
      expect(await count()).toBe(before);
      expect((await make({ roleId: "token-manager" }, tokens, narrow)).apiToken.role.roleId).toBe("token-manager");
    });
  });

  describe("mint", () => {
    it("stores a token of the role for the creator named, with no allow-list, and signs it", async () => {
      const role = await h.services.store.roles.byId("team", "alpha", "default");
      const end = new Date(t + 30 * MINUTE);
      const { apiToken, token } = await h.services.store.transaction((tx) =>
        tokens.mint(tx, alpha, role!, {
          name: "exchanged",
          description: "from CI",
          creatorId: owner.userId,
          creatorEmail: "ci@example.com",
          expiresAt: end,
          at: now(),
        }),
      );
      expect(await h.services.store.tokens.byId(apiToken.id)).toMatchObject({
        entity_type: "team",
        entity_id: "alpha",
        role_id: "default",
        name: "exchanged",
        description: "from CI",
        creator_id: owner.userId,
        creator_email: "ci@example.com",
        created_at: iso(t),
        updated_at: iso(t),
        expires_at: end.toISOString(),
        revoked_at: null,
        last_used_at: null,
        last_used_ip: null,
        allowed_ips: "[]",
        creator_left_at: null,
      });
      expect(apiToken).toMatchObject({ name: "exchanged", role: { roleId: "default", name: "Default" }, expiresAt: end.toISOString() });
      expect(apiToken.id).toMatch(/^tok_/);
      expect(apiToken.keys).toEqual([{ id: claimsOf(token)["jti"], issuedAt: iso(t), expiresAt: end.toISOString() }]);
      expect(claimsOf(token)).toMatchObject({ sub: apiToken.id, exp: Math.floor(end.getTime() / 1000) });
      const forever = await h.services.store.transaction((tx) =>
        tokens.mint(tx, alpha, role!, {
          name: "n",
          description: "",
          creatorId: owner.userId,
          creatorEmail: "x@example.com",
          expiresAt: null,
          at: now(),
        }),
      );
      expect((await h.services.store.tokens.byId(forever.apiToken.id))?.expires_at).toBeNull();
    });
  });

  describe("list", () => {
    it("lists live tokens, or with all every one, revoked and expired included, described", async () => {
      const beta = await entityFor(h.services.store, owner, "team", "beta");
      const live = await tokens.create(owner, beta, { name: "live", description: "", roleId: "default" });
      const revoked = await tokens.create(owner, beta, { name: "revoked", description: "", roleId: "default" });
      const ending = await tokens.create(owner, beta, { name: "ending", description: "", roleId: "default", expiresAt: iso(t + 1000) });
      expect(ending.apiToken.active).toBe(true);
      await tokens.revoke(owner, beta, revoked.apiToken.id);
      const names = async (all: boolean) => (await tokens.list(owner, beta, { perPage: 50 }, all)).items.map((m) => m.name).sort();
      expect(await names(false)).toEqual(["ending", "live"]);
      t += 1000;
      expect(await names(false)).toEqual(["live"]);
      expect(await names(true)).toEqual(["ending", "live", "revoked"]);
      const page = await tokens.list(owner, beta, { perPage: 1 }, true);
      expect(page.items).toHaveLength(1);
      expect(page.items[0]).toMatchObject({ role: { roleId: "default", name: "Default" } });
      expect(page).toHaveProperty("hasNextPage", true);
      expect(live.apiToken.id).toMatch(/^tok_/);
    });
  });

  describe("update", () => {
    it("changes only the fields given, audits before and after, and tells the verifiers", async () => {
      const { apiToken, token } = await make({ name: "old", description: "kept", allowedIps: ["192.0.2.0/24"] });
      expect((await h.services.verifier.authenticate(token, "192.0.2.1")).token?.name).toBe("old");
      t += 1000;
      const renamed = await tokens.update(owner, alpha, apiToken.id, { name: "new" });
      expect(renamed).toMatchObject({ name: "new", description: "kept", allowedIps: ["192.0.2.0/24"] });
      expect(await h.services.store.tokens.byId(apiToken.id)).toMatchObject({
        name: "new",
        description: "kept",
        allowed_ips: '["192.0.2.0/24"]',
        updated_at: iso(t),
      });
      expect(await publishedFor(apiToken.id)).toContainEqual({ t: "token", id: apiToken.id });
      // The verifier dropped what it kept: the next request carries the new name.
      expect((await h.services.verifier.authenticate(token, "192.0.2.1")).token?.name).toBe("new");
      const [updated] = await changes(apiToken.id);
      expect(updated).toMatchObject({ eventType: "apiTokens.update", resource: { type: "apiTokens", id: apiToken.id } });
      expect(updated?.details.before).toEqual({ name: "old", description: "kept", allowedIps: ["192.0.2.0/24"] });
      expect(updated?.details.after).toEqual({ name: "new", updated_at: iso(t) });

      const described = await tokens.update(owner, alpha, apiToken.id, { description: "changed", allowedIps: [] });
      expect(described).toMatchObject({ name: "new", description: "changed", allowedIps: [] });
      expect(await h.services.store.tokens.byId(apiToken.id)).toMatchObject({ name: "new", description: "changed", allowed_ips: "[]" });
      const [second] = await changes(apiToken.id);
      expect(second?.details.after).toEqual({ description: "changed", allowedIps: [], updated_at: iso(t) });
    });

    it("is 404 for a token of another team, and 403 for a token the manager does not cover", async () => {
      const beta = await entityFor(h.services.store, owner, "team", "beta");
      const { apiToken } = await make();
      expect(await refusal(() => tokens.update(owner, beta, apiToken.id, { name: "x" }))).toMatchObject({
        code: "NOT_FOUND",
        message: `token ${apiToken.id} not found`,
      });
      const strong = await make({ roleId: "owner" });
      expect((await refusal(() => tokens.update(narrow, alpha, strong.apiToken.id, { name: "x" }))).code).toBe("FORBIDDEN");
      expect((await refusal(() => tokens.get(owner, beta, apiToken.id))).code).toBe("NOT_FOUND");
      expect((await tokens.get(owner, alpha, apiToken.id)).id).toBe(apiToken.id);
    });
  });

  describe("rotate", () => {
    it("ends the other keys now by default, or at the time given, never after the token's own end", async () => {
      const end = t + 60 * MINUTE;
      const { apiToken, token } = await make({ expiresAt: iso(end) });
      const first = apiToken.keys[0]?.id;
      expect((await h.services.verifier.authenticate(token, "127.0.0.1")).keyId).toBe(first);
      const rotated = await tokens.rotate(owner, alpha, apiToken.id);
      expect(await publishedFor(apiToken.id)).toEqual([
        { t: "token", id: apiToken.id, entityType: "team", entityId: "alpha", kind: "keys" },
      ]);
      // The verifiers dropped what they kept: the old key ends now.
      expect(await refusal(async () => h.services.verifier.authenticate(token, "127.0.0.1"))).toMatchObject({ code: "TOKEN_EXPIRED" });
      expect(rotated.key.issuedAt).toBe(iso(t));
      expect(rotated.key.id).not.toBe(first);
      expect(claimsOf(rotated.token)).toMatchObject({ sub: apiToken.id, jti: rotated.key.id, exp: Math.floor(end / 1000) });
      expect(rotated.token).not.toBe(token);
      const expiryOf = async (keyId: string | undefined) => (await keysOf(apiToken.id)).find((k) => k.id === keyId)?.expires_at;
      expect(await expiryOf(first)).toBe(iso(t));
      expect(await expiryOf(rotated.key.id)).toBe(iso(end));

      const later = await tokens.rotate(owner, alpha, apiToken.id, iso(t + 30 * MINUTE));
      expect(await expiryOf(rotated.key.id)).toBe(iso(t + 30 * MINUTE));
      await tokens.rotate(owner, alpha, apiToken.id, iso(t + 120 * MINUTE));
      expect(await expiryOf(later.key.id)).toBe(iso(end));
      const [audited] = await changes(apiToken.id);
      expect(audited).toMatchObject({ eventType: "apiTokens.rotate", resource: { type: "apiTokens", id: apiToken.id } });
      expect(audited?.details.after).toEqual({
        keyId: expect.stringMatching(/^key_/) as unknown,
        otherKeysExpireAt: iso(t + 120 * MINUTE),
      });
    });

    it("takes other keys ending now, refuses a millisecond before; refuses a revoked token and one ending now", async () => {
      const { apiToken } = await make();
      expect((await tokens.rotate(owner, alpha, apiToken.id, iso(t))).key.issuedAt).toBe(iso(t));
      expect(await refusal(() => tokens.rotate(owner, alpha, apiToken.id, iso(t - 1)))).toEqual({
        code: "VALIDATION_FAILED",
        message: "otherKeysExpiresAt must not be in the past",
        details: { fields: { otherKeysExpiresAt: "in the past" } },
      });
      const ending = await make({ expiresAt: iso(t + MINUTE) });
      t += MINUTE - 1;
      expect((await tokens.rotate(owner, alpha, ending.apiToken.id)).key.issuedAt).toBe(iso(t));
      t += 1;
      expect(await refusal(() => tokens.rotate(owner, alpha, ending.apiToken.id))).toEqual({
        code: "CONFLICT",
        message: "an expired token cannot be regenerated; create a new one",
        details: undefined,
      });
      await tokens.revoke(owner, alpha, apiToken.id);
      expect(await refusal(() => tokens.rotate(owner, alpha, apiToken.id))).toEqual({
        code: "CONFLICT",
        message: "a revoked token cannot be regenerated",
        details: undefined,
      });
    });

    it("refuses a manager who does not cover the token's role", async () => {
      const strong = await make({ roleId: "owner" });
      expect((await refusal(() => tokens.rotate(narrow, alpha, strong.apiToken.id))).code).toBe("FORBIDDEN");
      expect((await keysOf(strong.apiToken.id)).length).toBe(1);
    });
  });

  describe("deleteKey", () => {
    it("revokes that key now, audits it, and is 404 for a key of another token, an unknown or a deleted one", async () => {
      const { apiToken, token } = await make();
      const other = await make();
      const key = apiToken.keys[0]?.id ?? "";
      await tokens.rotate(owner, alpha, apiToken.id, iso(t + 60 * MINUTE));
      expect((await h.services.verifier.authenticate(token, "127.0.0.1")).keyId).toBe(key);
      const notFound = (id: string) => ({ code: "NOT_FOUND", message: `key ${id} not found`, details: undefined });
      expect(await refusal(() => tokens.deleteKey(owner, alpha, other.apiToken.id, key))).toEqual(notFound(key));
      expect(await refusal(() => tokens.deleteKey(owner, alpha, apiToken.id, "key_unknown"))).toEqual(notFound("key_unknown"));
      t += 1000;
      const before = (await publishedFor(apiToken.id)).length;
      expect(await tokens.deleteKey(owner, alpha, apiToken.id, key)).toEqual({ id: key, deleted: true });
      expect((await publishedFor(apiToken.id)).slice(before)).toEqual([
        { t: "token", id: apiToken.id, entityType: "team", entityId: "alpha", kind: "keys" },
      ]);
      expect(await refusal(async () => h.services.verifier.authenticate(token, "127.0.0.1"))).toMatchObject({ code: "TOKEN_REVOKED" });
      expect((await keysOf(apiToken.id)).find((k) => k.id === key)?.revoked_at).toBe(iso(t));
      expect(await refusal(() => tokens.deleteKey(owner, alpha, apiToken.id, key))).toEqual(notFound(key));
      const [audited] = await changes(apiToken.id);
      expect(audited).toMatchObject({ eventType: "apiTokens.deleteKey", resource: { type: "apiTokens", id: apiToken.id } });
      expect(audited?.details.before).toEqual({ keyId: key });
      const strong = await make({ roleId: "owner" });
      expect((await refusal(() => tokens.deleteKey(narrow, alpha, strong.apiToken.id, strong.apiToken.keys[0]?.id ?? ""))).code).toBe(
        "FORBIDDEN",
      );
    });
  });

  describe("revoke", () => {
    it("revokes now, keeps the first time when revoked again, audits it, and the token stops", async () => {
      const { apiToken, token } = await make();
      const revokedAt = iso(t);
      expect((await h.services.verifier.authenticate(token, "127.0.0.1")).tokenId).toBe(apiToken.id);
      const meta = await tokens.revoke(owner, alpha, apiToken.id);
      expect(await publishedFor(apiToken.id)).toEqual([
        { t: "token", id: apiToken.id, entityType: "team", entityId: "alpha", kind: "revoked" },
      ]);
      expect(await refusal(async () => h.services.verifier.authenticate(token, "127.0.0.1"))).toMatchObject({ code: "TOKEN_REVOKED" });
      expect(meta).toMatchObject({ revoked: true, revokedAt, active: false });
      expect((await h.services.store.tokens.byId(apiToken.id))?.revoked_at).toBe(revokedAt);
      const [audited] = await changes(apiToken.id);
      expect(audited).toMatchObject({ eventType: "apiTokens.revoke", resource: { type: "apiTokens", id: apiToken.id } });
      expect(audited?.details.after).toEqual({ revokedAt });
      t += 5000;
      expect((await tokens.revoke(owner, alpha, apiToken.id)).revokedAt).toBe(revokedAt);
      expect((await h.client({ bearer: token }).get("/v1/login")).body.error?.code).toBe("TOKEN_REVOKED");
    });

    it("lets a token revoke itself whatever its role, and no manager revoke what it does not cover", async () => {
      const strong = await make({ roleId: "owner" });
      expect((await refusal(() => tokens.revoke(narrow, alpha, strong.apiToken.id))).code).toBe("FORBIDDEN");
      const self = await h.services.verifier.authenticate(strong.token, "127.0.0.1");
      // As a token of a narrower role would see itself: its own id is what lets it through.
      const asNarrow: Principal = { ...self, grants: narrow.grants };
      expect((await tokens.revoke(asNarrow, alpha, strong.apiToken.id)).revoked).toBe(true);
    });
  });

  describe("self", () => {
    it("describes a token credential's record and role; refuses a session, and a token the store no longer has", async () => {
      const { apiToken, token } = await make({ name: "me" });
      const principal = await h.services.verifier.authenticate(token, "127.0.0.1");
      const { token: row, role } = await tokens.self(principal);
      expect(row).toMatchObject({ id: apiToken.id, name: "me" });
      expect(role).toMatchObject({ id: "default", entity_id: "alpha" });
      expect(await refusal(() => tokens.self(owner))).toEqual({
        code: "VALIDATION_FAILED",
        message: "not an API token",
        details: undefined,
      });
      expect(await refusal(() => tokens.self({ ...principal, tokenId: "tok_gone" }))).toEqual({
        code: "TOKEN_INVALID",
        message: "token is not valid",
        details: undefined,
      });
    });
  });
});
