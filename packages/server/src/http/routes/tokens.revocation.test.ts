import { refused } from "../../test-support/refusals.js";
import { DomainError } from "@latchkey/core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { events } from "../../test-support/audit.js";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Harness } from "../../test-support/harness.js";

// Issue #22, items 4 and 5: a revocation that lands while the verifier reads a token it has never seen must not
// leave that read in its cache; and a deleted key's secret is refused as revoked, on the token's own audit feed.

interface Created {
  apiToken: { id: string; keys: { id: string }[] };
  token: string;
}

describe.each(dialects())("token revocation on %s", (kind) => {
  let h: Harness;
  const team = "/v1/teams/acme";
  beforeAll(async () => {
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
  });
  afterAll(() => h.close());

  const mint = (name: string) => h.owner.ok<Created>("POST", `${team}/tokens`, { name, roleId: "default" });
  const bearer = (token: string) => h.client({ bearer: token });

  describe("the verifier's slow path racing a revocation", () => {
    it("a snapshot read before a revocation serves at most the request that read it, and is not cached", async () => {
      const { apiToken, token } = await mint("racing");
      const tokens = h.services.store.tokens;
      const byId = tokens.byId.bind(tokens);
      // Fault injection on the real store: the verifier's first read of this token waits, after reading, until the
      // revocation has committed, so the snapshot it builds is stale by the time it could be cached.
      let reached: () => void = () => undefined;
      const atBarrier = new Promise<void>((resolve) => (reached = resolve));
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let armed = true;
      const spy = vi.spyOn(tokens, "byId").mockImplementation(async (id) => {
        const row = await byId(id);
        if (armed && id === apiToken.id) {
          armed = false;
          reached();
          await gate;
        }
        return row;
      });
      try {
        expect(h.services.verifier.cached(token, "127.0.0.1")).toBeUndefined();
        const first = bearer(token).get("/v1/login");
        await atBarrier;
        await h.owner.ok("DELETE", `${team}/tokens/${apiToken.id}`);
        release();
        // The request that began before the revocation was decided on what it read: this proves the race was reached.
        expect((await first).status).toBe(200);
      } finally {
        release();
        spy.mockRestore();
      }
      const cached = (() => {
        try {
          return h.services.verifier.cached(token, "127.0.0.1");
        } catch (error) {
          return error;
        }
      })();
      expect(cached === undefined || (cached instanceof DomainError && cached.code === "TOKEN_REVOKED"), JSON.stringify(cached)).toBe(true);
      refused(await bearer(token).get("/v1/login"), "TOKEN_REVOKED");
      refused(await bearer(token).get("/v1/projects"), "TOKEN_REVOKED");
    });
  });

  describe("a deleted key", () => {
    /** The token's newest request event, once the buffer has written what it holds. */
    const lastRequest = async (tokenId: string) => {
      await h.services.audit.buffer.flush();
      const feed = await events(h.owner, `${team}/tokens/${tokenId}/audit-logs?eventType=request&per_page=1`);
      return feed[0];
    };

    for (const seen of [true, false]) {
      it(`is refused as TOKEN_REVOKED and the refusal is on the token's audit feed (${seen ? "secret cached before" : "secret never used before"})`, async () => {
        const { apiToken, token } = await mint(`deleted key ${String(seen)}`);
        const url = `${team}/tokens/${apiToken.id}`;
        const rotated = await h.owner.ok<{ token: string }>("POST", `${url}/keys`, {
          otherKeysExpiresAt: "2100-01-01T00:00:00.000Z",
        });
        if (seen) expect((await bearer(token).get("/v1/login")).status).toBe(200);
        await h.owner.ok("DELETE", `${url}/keys/${apiToken.keys[0]?.id ?? ""}`);
        refused(await bearer(token).get("/v1/projects/deleted-key"), "TOKEN_REVOKED");
        expect(await lastRequest(apiToken.id)).toMatchObject({
          eventType: "request",
          tokenId: apiToken.id,
          outcome: "denied",
          status: 401,
          method: "GET",
          path: "/v1/projects/deleted-key",
        });
        // Asked again, now from memory: the same answer, audited again.
        refused(await bearer(token).get("/v1/projects/again"), "TOKEN_REVOKED");
        expect(await lastRequest(apiToken.id)).toMatchObject({ outcome: "denied", status: 401, path: "/v1/projects/again" });
        // The token's other key is untouched.
        expect((await bearer(rotated.token).get("/v1/login")).status).toBe(200);
      });
    }

    it("each request event names the key that made it: the old one after a regenerate, allowed or refused", async () => {
      const { apiToken, token } = await mint("which key");
      const oldKey = apiToken.keys[0]?.id ?? "";
      const url = `${team}/tokens/${apiToken.id}`;
      expect((await bearer(token).get("/v1/login")).status).toBe(200);
      expect((await lastRequest(apiToken.id))?.details).toEqual({ keyId: oldKey });
      const rotated = await h.owner.ok<{ key: { id: string }; token: string }>("POST", `${url}/keys`, {
        otherKeysExpiresAt: "2100-01-01T00:00:00.000Z",
      });
      expect((await bearer(rotated.token).get("/v1/login")).status).toBe(200);
      expect((await lastRequest(apiToken.id))?.details).toEqual({ keyId: rotated.key.id });
      // Someone still on the old secret shows up by its key.
      expect((await bearer(token).get("/v1/login")).status).toBe(200);
      expect((await lastRequest(apiToken.id))?.details).toEqual({ keyId: oldKey });
      await h.owner.ok("DELETE", `${url}/keys/${oldKey}`);
      refused(await bearer(token).get("/v1/login"), "TOKEN_REVOKED");
      expect(await lastRequest(apiToken.id)).toMatchObject({ outcome: "denied", details: { keyId: oldKey } });
    });
  });
});
