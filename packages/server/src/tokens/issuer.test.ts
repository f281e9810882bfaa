import { afterEach, describe, expect, it } from "vitest";
import { dialects } from "../test-support/databases.js";
import { startHarness, type Harness } from "../test-support/harness.js";
import { ISSUER_KEY } from "./issuer.js";

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString()) as Record<string, unknown>;

describe.each(dialects())("the token issuer on %s", (kind) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const mint = async (harness: Harness) => {
    await harness.owner.ok("POST", "/v1/teams", { name: "Platform" });
    return (await harness.owner.ok<{ token: string }>("POST", "/v1/teams/platform/tokens", { name: "ci", roleId: "owner" })).token;
  };

  it("is fixed at first start from the public URL and kept in the database", async () => {
    h = await startHarness(kind);
    expect(await h.services.store.meta.get(ISSUER_KEY)).toBe("http://latchkey.test");
    const token = await mint(h);
    expect(claimsOf(token)).toMatchObject({ iss: "http://latchkey.test", aud: "http://latchkey.test/v1" });
  });

  it("LATCHKEY_ISSUER sets it", async () => {
    h = await startHarness(kind, { LATCHKEY_ISSUER: "https://auth.example.com/" });
    expect(await h.services.store.meta.get(ISSUER_KEY)).toBe("https://auth.example.com");
    const token = await mint(h);
    expect(claimsOf(token)).toMatchObject({ iss: "https://auth.example.com", aud: "https://auth.example.com/v1" });
    expect((await h.client({ bearer: token }).get("/v1/auth")).status).toBe(200);
  });

  it("the kept issuer wins over a new public URL; a token of an earlier issuer is refused, naming it", async () => {
    h = await startHarness(kind);
    const token = await mint(h);
    // What a restart finds when the database holds another issuer (LATCHKEY_ISSUER was changed since the token).
    await h.services.store.meta.set(ISSUER_KEY, "https://moved.example.com");
    expect(await h.services.issuer.init()).toEqual({ iss: "https://moved.example.com", aud: "https://moved.example.com/v1" });
    const refused = await h.client({ bearer: token }).get("/v1/auth");
    expect(refused.status).toBe(401);
    expect(refused.body.error).toMatchObject({
      code: "TOKEN_INVALID",
      details: { reason: "issuer", claimed: "http://latchkey.test", expected: "https://moved.example.com" },
    });
    expect(refused.body.error?.message).toMatch(/issued for issuer http:\/\/latchkey\.test.*latchkey login/);
    expect(refused.raw).not.toContain(token.split(".")[2]);
    const fresh = (await h.owner.ok<{ token: string }>("POST", "/v1/teams/platform/tokens", { name: "new", roleId: "owner" })).token;
    expect(claimsOf(fresh)["iss"]).toBe("https://moved.example.com");
    expect((await h.client({ bearer: fresh }).get("/v1/auth")).status).toBe(200);
  });
});
