import { DomainError } from "@latchkey/core";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { grantOf, type Principal } from "../access/principal.js";
import { TokenRefusal } from "../access/refusal.js";
import { dialects } from "../test-support/databases.js";
import { OWNER_EMAIL, startHarness, type Harness } from "../test-support/harness.js";
import { createLastUsed, type LastUsed } from "./last-used.js";
import { createSigningKeys, type SigningKeys } from "./signing-keys.js";
import { createVerifier, type Verifier } from "./verifier.js";

// The verifier below the HTTP layer (issue 22, mutation testing): the principal it builds, what it keeps in memory and
// which change events drop what, the 401 it picks (invalid, revoked, expired) at the exact millisecond, and a signing
// key another process made. Each test builds a verifier of its own on the harness's store and change feed, on a clock
// of its own (`at`); tokens are made through the API.

const IP = "192.0.2.7";
const MINUTE = 60_000;

interface Created {
  apiToken: { id: string; keys: { id: string }[] };
  token: string;
}

describe.each(dialects())("the token verifier on %s", (kind) => {
  let h: Harness;
  let at = Date.now();
  const opened: { close(): unknown }[] = [];

  beforeAll(async () => {
    h = await startHarness(kind, { LATCHKEY_RATE_LIMIT_PER_HOUR: "10", LATCHKEY_RATE_LIMIT_MAX_PER_HOUR: "1000" });
    await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
    await h.owner.ok("POST", "/v1/orgs", { name: "Umbrella" });
    await h.owner.ok("POST", "/v1/orgs/umbrella/teams", { name: "Labs" });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    at = Date.now();
  });
  afterAll(async () => {
    for (const each of opened) await each.close();
    await h.close();
  });

  const mint = (path: string, body: Record<string, unknown> = {}) =>
    h.owner.ok<Created>("POST", `${path}/tokens`, { name: "probe", roleId: "default", ...body });

  /** A verifier of another process: its own caches and last-used record, on the same store and feed. */
  const fresh = (keys: SigningKeys = h.services.keys): { verifier: Verifier; lastUsed: LastUsed } => {
    const lastUsed = createLastUsed({ store: h.services.store });
    const verifier = createVerifier({
      store: h.services.store,
      keys,
      lastUsed,
      config: h.config,
      nowMs: () => at,
      issuer: h.services.issuer,
    });
    opened.push(lastUsed, { close: verifier.close });
    return { verifier, lastUsed };
  };

  /** The refusal's code, or "ok" for a principal, "none" when the verifier has no answer from memory. */
  const outcome = async (answer: () => Principal | Promise<Principal> | undefined): Promise<string> => {
    try {
      return (await answer()) === undefined ? "none" : "ok";
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return error.code;
    }
  };
  const refusalOf = async (attempt: Promise<Principal> | Principal): Promise<TokenRefusal> => {
    try {
      await attempt;
    } catch (error) {
      if (error instanceof TokenRefusal) return error;
      throw error;
    }
    throw new Error("the token was accepted");
  };

  const messageOf = async (attempt: () => Promise<Principal> | Principal): Promise<string> => {
    try {
      await attempt();
    } catch (error) {
      if (error instanceof DomainError) return error.message;
      throw error;
    }
    return "accepted";
  };

  /**
   * Waits until the change events committed so far have reached this process: on PostgreSQL each one comes back
   * through NOTIFY after it was delivered locally, and would drop what a verifier read in between. A marker published
   * now comes back after them (NOTIFY delivers in commit order); on SQLite at once.
   */
  const settled = async (): Promise<void> => {
    let back = false;
    const off = h.services.store.feed.subscribeCommitted((event) => {
      if (event.t === "webhooks") back = true;
    });
    try {
      await h.services.store.publish({ t: "webhooks" });
      for (let i = 0; i < 500 && !back; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    } finally {
      off();
    }
  };

  /** What a refusal says of an acme token it names (the first key's). */
  const refOfAcme = (apiToken: { id: string; keys: { id: string }[] }) => ({
    id: apiToken.id,
    entityType: "team",
    entityId: "acme",
    email: OWNER_EMAIL,
    keyId: apiToken.keys[0]?.id,
  });

  describe("the principal", () => {
    it("of a team token: its creator, the key presented, its role's grant, its scope, the default limit, no allow-list", async () => {
      const { apiToken, token } = await mint("/v1/teams/acme", { name: "ci" });
      const role = await h.services.store.roles.byId("team", "acme", "default");
      const principal = await fresh().verifier.authenticate(token, IP);
      expect(principal).toEqual({
        kind: "api",
        userId: h.owner.userId,
        email: OWNER_EMAIL,
        tokenId: apiToken.id,
        keyId: apiToken.keys[0]?.id,
        grants: [grantOf(role!, null)],
        scope: { entityType: "team", entityId: "acme" },
        rateLimitPerHour: 10,
        token: { name: "ci", roleId: "default", entity: "team:acme", orgId: null, expiresAt: null },
      });
      expect(principal).not.toHaveProperty("allowList");
    });

    it("of an organisation's team token and of an organisation token: the organisation is named in grant and identity", async () => {
      const expiresAt = new Date(at + 60 * MINUTE).toISOString();
      const team = await mint("/v1/teams/labs", { name: "labs bot", expiresAt });
      const org = await mint("/v1/orgs/umbrella", { name: "org bot", roleId: "member" });
      const { verifier } = fresh();
      const ofTeam = await verifier.authenticate(team.token, IP);
      expect(ofTeam.grants[0]).toMatchObject({ entityType: "team", entityId: "labs", orgId: "umbrella" });
      expect(ofTeam.token).toEqual({ name: "labs bot", roleId: "default", entity: "team:labs", orgId: "umbrella", expiresAt });
      const ofOrg = await verifier.authenticate(org.token, IP);
      expect(ofOrg.grants[0]).toMatchObject({ entityType: "org", entityId: "umbrella", orgId: "umbrella" });
      expect(ofOrg.scope).toEqual({ entityType: "org", entityId: "umbrella" });
      expect(ofOrg.token).toEqual({ name: "org bot", roleId: "member", entity: "org:umbrella", orgId: "umbrella", expiresAt: null });
    });

    it("carries its team's or organisation's own limit, held to the ceiling when stored above it", async () => {
      const db = h.services.store.db.kysely;
      await db.updateTable("teams").set({ rate_limit_per_hour: 50 }).where("id", "=", "acme").execute();
      await db.updateTable("orgs").set({ rate_limit_per_hour: 70 }).where("id", "=", "umbrella").execute();
      await db.updateTable("teams").set({ rate_limit_per_hour: 5000 }).where("id", "=", "labs").execute();
      // A team may have the id of an organisation: an organisation token still takes its organisation's limit.
      await h.owner.ok("POST", "/v1/teams", { name: "Umbrella" });
      await db.updateTable("teams").set({ rate_limit_per_hour: 40 }).where("id", "=", "umbrella").execute();
      try {
        const { verifier } = fresh();
        expect((await verifier.authenticate((await mint("/v1/teams/acme")).token, IP)).rateLimitPerHour).toBe(50);
        expect((await verifier.authenticate((await mint("/v1/orgs/umbrella", { roleId: "member" })).token, IP)).rateLimitPerHour).toBe(70);
        expect((await verifier.authenticate((await mint("/v1/teams/labs")).token, IP)).rateLimitPerHour).toBe(1000);
      } finally {
        await db.updateTable("teams").set({ rate_limit_per_hour: null }).execute();
        await db.updateTable("orgs").set({ rate_limit_per_hour: null }).execute();
      }
    });

    it("carries the token's allow-list; an unreadable or non-list stored one allows no address", async () => {
      const listed = await mint("/v1/teams/acme", { allowedIps: ["203.0.113.0/24"] });
      const allowList = (await fresh().verifier.authenticate(listed.token, IP)).allowList;
      expect(allowList?.allows("203.0.113.9")).toBe(true);
      expect(allowList?.allows(IP)).toBe(false);
      for (const stored of ["not json", '{"0":"203.0.113.0/24"}']) {
        await h.services.store.tokens.update(listed.apiToken.id, { allowed_ips: stored });
        const broken = (await fresh().verifier.authenticate(listed.token, IP)).allowList;
        // Read as the one unroutable address 0.0.0.0/32, not as no list (which would allow every address).
        expect(broken?.cidrs, stored).toEqual(["0.0.0.0/32"]);
        for (const ip of ["203.0.113.9", IP, "127.0.0.1", "::1"]) expect(broken?.allows(ip), `${stored} ${ip}`).toBe(false);
      }
    });

    it("records the use, with its time and address, on the slow path and from memory", async () => {
      const { apiToken, token } = await mint("/v1/teams/acme");
      const { verifier, lastUsed } = fresh();
      await verifier.authenticate(token, IP);
      expect(lastUsed.latest(apiToken.id)).toEqual({ at: new Date(at).toISOString(), ip: IP });
      at += 1000;
      expect(verifier.authenticate(token, "198.51.100.1")).not.toBeInstanceOf(Promise);
      expect(lastUsed.latest(apiToken.id)).toEqual({ at: new Date(at).toISOString(), ip: "198.51.100.1" });
    });
  });

  describe("memory", () => {
    it("answers a token seen before without a promise and without reading the store", async () => {
      const { apiToken, token } = await mint("/v1/teams/acme");
      const { verifier } = fresh();
      const reads = vi.spyOn(h.services.store.tokens, "byId");
      expect(verifier.cached(token, IP)).toBeUndefined();
      const first = verifier.authenticate(token, IP);
      expect(first).toBeInstanceOf(Promise);
      const looked = await first;
      expect(looked.tokenId).toBe(apiToken.id);
      expect(verifier.size()).toEqual({ verified: 1, tokens: 1, roles: 1 });
      const second = verifier.authenticate(token, IP);
      expect(second).not.toBeInstanceOf(Promise);
      // From memory the same principal, grants and all: the first answer from memory, and one from what it remembered.
      expect(second).toEqual(looked);
      expect(verifier.cached(token, IP)).toEqual(looked);
      expect(reads).toHaveBeenCalledTimes(1);
    });

    it("while the change feed is down keeps nothing and reads the store every time, even for a token it knew", async () => {
      const known = await mint("/v1/teams/acme");
      const unknown = await mint("/v1/teams/acme");
      const { verifier } = fresh();
      await verifier.authenticate(known.token, IP);
      const reads = vi.spyOn(h.services.store.tokens, "byId");
      const healthy = vi.spyOn(h.services.store.feed, "healthy").mockReturnValue(false);
      for (const { token } of [known, unknown, unknown]) {
        expect(verifier.cached(token, IP)).toBeUndefined();
        const answer = verifier.authenticate(token, IP);
        expect(answer).toBeInstanceOf(Promise);
        await answer;
      }
      expect(reads).toHaveBeenCalledTimes(3);
      expect(verifier.size()).toEqual({ verified: 1, tokens: 1, roles: 1 });
      // The feed going down between the start of a look-up and its end: what was read is not kept either.
      healthy.mockReset();
      healthy.mockReturnValueOnce(true).mockReturnValueOnce(true).mockReturnValue(false);
      await verifier.authenticate(unknown.token, IP);
      healthy.mockReturnValue(true);
      expect(verifier.size()).toEqual({ verified: 1, tokens: 1, roles: 1 });
      expect(verifier.cached(unknown.token, IP)).toBeUndefined();
    });

    it("drops what each change event names and nothing else; events of other caches drop nothing", async () => {
      const acme = await mint("/v1/teams/acme");
      const labs = await mint("/v1/teams/labs");
      const keys = createSigningKeys({ store: h.services.store, masterKey: h.config.masterKey, now: () => new Date(at) });
      await keys.reload();
      const reloads = vi.spyOn(keys, "reload");
      const { verifier } = fresh(keys);
      const warm = async () => {
        for (const { token } of [acme, labs]) await verifier.authenticate(token, IP);
        expect(verifier.size()).toEqual({ verified: 2, tokens: 2, roles: 2 });
      };
      const fromMemory = () => [acme, labs].map(({ token }) => !(verifier.authenticate(token, IP) instanceof Promise));
      const feed = h.services.store.feed;
      await warm();
      feed.emit({ t: "projects", teamId: "acme" });
      feed.emit({ t: "user", id: h.owner.userId });
      feed.emit({ t: "cli-login", id: "x" });
      feed.emit({ t: "webhooks" });
      expect(verifier.size()).toEqual({ verified: 2, tokens: 2, roles: 2 });
      expect(reloads).not.toHaveBeenCalled();

      feed.emit({ t: "token", id: acme.apiToken.id });
      expect(verifier.size()).toEqual({ verified: 2, tokens: 1, roles: 2 });
      expect(fromMemory()).toEqual([false, true]);
      await warm();

      feed.emit({ t: "role", entityType: "team", entityId: "labs", roleId: "default" });
      expect(verifier.size()).toEqual({ verified: 2, tokens: 2, roles: 1 });
      expect(fromMemory()).toEqual([true, false]);
      await warm();

      // An organisation that shares the team's id is another entity.
      feed.emit({ t: "limits", entityType: "org", entityId: "labs" });
      expect(verifier.size()).toEqual({ verified: 2, tokens: 2, roles: 2 });
      feed.emit({ t: "limits", entityType: "team", entityId: "labs" });
      expect(verifier.size()).toEqual({ verified: 2, tokens: 1, roles: 2 });
      expect(fromMemory()).toEqual([true, false]);
      await warm();

      feed.emit({ t: "signing-keys" });
      expect(reloads).toHaveBeenCalledTimes(1);
      expect(verifier.size()).toEqual({ verified: 2, tokens: 2, roles: 2 });

      feed.emit({ t: "resync" });
      expect(verifier.size()).toEqual({ verified: 0, tokens: 0, roles: 0 });
      expect(fromMemory()).toEqual([false, false]);
    });

    it("does not keep what it read while one of its change events arrived; another cache's event does not stop it", async () => {
      const { token } = await mint("/v1/teams/acme");
      const { verifier } = fresh();
      const during = verifier.authenticate(token, IP);
      h.services.store.feed.emit({ t: "limits", entityType: "team", entityId: "nobody" });
      await during;
      expect(verifier.size()).toEqual({ verified: 0, tokens: 0, roles: 0 });
      const again = verifier.authenticate(token, IP);
      h.services.store.feed.emit({ t: "projects", teamId: "acme" });
      await again;
      expect(verifier.size()).toEqual({ verified: 1, tokens: 1, roles: 1 });
    });
  });

  describe("refusals", () => {
    it("expires at the JWT's expiry, to the millisecond, on the slow path and from memory", async () => {
      // The token ends half a second after a whole second; its JWT's `exp` (whole seconds) is that second.
      const end = Math.floor((at + 10 * MINUTE) / 1000) * 1000 + 500;
      const { apiToken, token } = await mint("/v1/teams/acme", { expiresAt: new Date(end).toISOString() });
      const { verifier } = fresh();
      at = end - 501;
      expect(await outcome(() => verifier.authenticate(token, IP))).toBe("ok");
      at = end - 500;
      expect(await outcome(() => verifier.authenticate(token, IP))).toBe("TOKEN_EXPIRED");
      const refusal = await refusalOf(fresh().verifier.authenticate(token, IP));
      expect(refusal.code).toBe("TOKEN_EXPIRED");
      expect(refusal.message).toBe("token has expired");
      expect(refusal.token).toEqual(refOfAcme(apiToken));
    });

    it("expires an old key at the time its rotation gave it, while the new key goes on", async () => {
      const { apiToken, token } = await mint("/v1/teams/acme");
      const end = at + 5 * MINUTE;
      const rotated = await h.owner.ok<{ token: string }>("POST", `/v1/teams/acme/tokens/${apiToken.id}/keys`, {
        otherKeysExpiresAt: new Date(end).toISOString(),
      });
      const { verifier } = fresh();
      at = end - 1;
      expect(await outcome(() => verifier.authenticate(token, IP))).toBe("ok");
      at = end;
      expect(await outcome(() => verifier.authenticate(token, IP))).toBe("TOKEN_EXPIRED");
      expect(await outcome(() => fresh().verifier.authenticate(token, IP))).toBe("TOKEN_EXPIRED");
      expect(await outcome(() => verifier.authenticate(rotated.token, IP))).toBe("ok");
    });

    it("refuses a revoked token, from memory too once refused, and a deleted key with that key named", async () => {
      const { apiToken, token } = await mint("/v1/teams/acme");
      const { verifier } = fresh();
      await verifier.authenticate(token, IP);
      await h.owner.ok("DELETE", `/v1/teams/acme/tokens/${apiToken.id}`);
      await settled();
      const refusal = await refusalOf(verifier.authenticate(token, IP));
      expect(refusal.code).toBe("TOKEN_REVOKED");
      expect(refusal.message).toBe("token has been revoked");
      expect(refusal.token).toEqual(refOfAcme(apiToken));
      // Kept revoked in memory: refused without the store, even once its role is dropped from memory.
      expect(await outcome(() => verifier.cached(token, IP))).toBe("TOKEN_REVOKED");
      h.services.store.feed.emit({ t: "role", entityType: "team", entityId: "acme", roleId: "default" });
      expect(await outcome(() => verifier.cached(token, IP))).toBe("TOKEN_REVOKED");

      const keyed = await mint("/v1/teams/acme");
      const url = `/v1/teams/acme/tokens/${keyed.apiToken.id}`;
      await h.owner.ok("POST", `${url}/keys`, { otherKeysExpiresAt: new Date(at + 60 * MINUTE).toISOString() });
      await h.owner.ok("DELETE", `${url}/keys/${keyed.apiToken.keys[0]?.id ?? ""}`);
      const deleted = await refusalOf(fresh().verifier.authenticate(keyed.token, IP));
      expect(deleted.code).toBe("TOKEN_REVOKED");
      expect(deleted.token.keyId).toBe(keyed.apiToken.keys[0]?.id);
    });

    it("refuses a token whose role is gone from the store as revoked; a role dropped from memory is read again", async () => {
      await h.owner.ok("POST", "/v1/teams/acme/roles", {
        id: "short-lived",
        name: "Short lived",
        permissions: { teamScope: ["team.read"] },
      });
      const { token } = await mint("/v1/teams/acme", { roleId: "short-lived" });
      const { verifier } = fresh();
      await verifier.authenticate(token, IP);
      h.services.store.feed.emit({ t: "role", entityType: "team", entityId: "acme", roleId: "short-lived" });
      // Neither a principal without a grant nor a refusal: the slow path reads the role again.
      expect(await outcome(() => verifier.cached(token, IP))).toBe("none");
      expect(await outcome(() => verifier.authenticate(token, IP))).toBe("ok");
      // The row alone removed (the token itself not revoked), as no service does: refused all the same.
      await h.services.store.roles.remove("team", "acme", "short-lived");
      h.services.store.feed.emit({ t: "role", entityType: "team", entityId: "acme", roleId: "short-lived" });
      expect(await outcome(() => verifier.authenticate(token, IP))).toBe("TOKEN_REVOKED");
      expect(await outcome(() => verifier.cached(token, IP))).toBe("TOKEN_REVOKED");
      expect(await outcome(() => fresh().verifier.authenticate(token, IP))).toBe("TOKEN_REVOKED");
    });

    it("decides without an error on a token whose team row alone is gone, taking no organisation's limit", async () => {
      // No service leaves this (deleting a team deletes its tokens): the repository's row removal alone.
      await h.owner.ok("POST", "/v1/teams", { name: "Gone" });
      await h.owner.ok("POST", "/v1/orgs", { name: "Gone" });
      await h.services.store.db.kysely.updateTable("orgs").set({ rate_limit_per_hour: 70 }).where("id", "=", "gone").execute();
      const { token } = await mint("/v1/teams/gone");
      await h.services.store.teams.remove("gone");
      const principal = await fresh().verifier.authenticate(token, IP);
      expect(principal.rateLimitPerHour).toBe(10);
      expect(principal.token).toMatchObject({ entity: "team:gone", orgId: null });
    });

    it("refuses as invalid a well-signed token whose secret, token or key the store does not know", async () => {
      const { apiToken, token } = await mint("/v1/teams/acme");
      const { verifier } = fresh();
      const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as Record<string, unknown>;
      const sign = (changes: Record<string, unknown>) => h.services.keys.sign({ ...claims, ...changes });
      const otherSecret = await sign({ iat: Number(claims["iat"]) + 1 });
      // Before and after the real secret was seen (then the token and key are in memory, and only the hash differs).
      expect(await outcome(() => verifier.authenticate(otherSecret, IP))).toBe("TOKEN_INVALID");
      expect(await outcome(() => verifier.authenticate(token, IP))).toBe("ok");
      expect(await outcome(() => verifier.authenticate(otherSecret, IP))).toBe("TOKEN_INVALID");
      expect(await outcome(() => verifier.authenticate(otherSecret, IP))).toBe("TOKEN_INVALID");
      expect(await outcome(() => verifier.authenticate(token, IP))).toBe("ok");
      const unknownToken = await sign({ sub: "tok_unknown", client_id: "tok_unknown" });
      const unknownKey = await sign({ jti: "key_unknown" });
      for (const each of [otherSecret, unknownToken, unknownKey]) {
        expect(await messageOf(() => verifier.authenticate(each, IP))).toBe("token is not valid");
        expect(await outcome(() => verifier.authenticate(each, IP))).toBe("TOKEN_INVALID");
        expect(await outcome(() => verifier.authenticate(each, IP))).toBe("TOKEN_INVALID");
      }
      expect(apiToken.id).toBe(claims["sub"]);
    });
  });

  describe("signing keys", () => {
    it("accepts a token signed by a key another process made since, once its reload window allows; refuses an unknown kid", async () => {
      const keys = createSigningKeys({ store: h.services.store, masterKey: h.config.masterKey, now: () => new Date(at) });
      await keys.reload();
      const { verifier } = fresh(keys);
      // The rotation's feed event is not heard (as by a process whose feed lags): the verifier stops listening.
      verifier.close();
      await h.services.keys.rotate();
      const { token } = await mint("/v1/teams/acme");
      const [header, payload, signature] = token.split(".") as [string, string, string];
      const kid = (JSON.parse(Buffer.from(header, "base64url").toString()) as { kid: string }).kid;
      expect(keys.knownPublicKey(kid)).toBeUndefined();
      // Within a second of the last reload the store is not asked again.
      expect(await outcome(() => verifier.authenticate(token, IP))).toBe("TOKEN_INVALID");
      at += 1000;
      expect(await outcome(() => verifier.authenticate(token, IP))).toBe("ok");
      // A kid nobody made: still refused after the reload.
      const forged = Buffer.from(JSON.stringify({ alg: "EdDSA", kid: "sig_nobody", typ: "at+jwt" })).toString("base64url");
      at += 1000;
      expect(await outcome(() => verifier.authenticate(`${forged}.${payload}.${signature}`, IP))).toBe("TOKEN_INVALID");
      // A known kid with a bad signature: refused, whatever reloading.
      const bad = `${header}.${payload}.${Buffer.alloc(64).toString("base64url")}`;
      at += 1000;
      expect(await outcome(() => verifier.authenticate(bad, IP))).toBe("TOKEN_INVALID");
    });
  });
});
