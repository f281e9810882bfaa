import { generateKeyPairSync } from "node:crypto";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { events } from "../../test-support/audit.js";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Harness, type TestReply } from "../../test-support/harness.js";

interface Created {
  apiToken: { id: string };
  token: string;
}

const LIMIT = 25;

describe.each(dialects())("public token revocation on %s", (kind) => {
  let h: Harness;
  let other: Harness;
  const team = "/v1/teams/acme";
  const mint = (name: string, path = team, roleId = "default") => h.owner.ok<Created>("POST", `${path}/tokens`, { name, roleId });
  const works = async (token: string) => (await h.client({ bearer: token }).get("/v1/login")).status;
  const report = (tokens: unknown, ip = "198.51.100.7"): Promise<TestReply> =>
    h.anon.request("POST", "/v1/token-revocations", { tokens }, { "x-forwarded-for": ip });

  beforeAll(async () => {
    h = await startHarness(kind, { LATCHKEY_PUBLIC_REVOCATIONS_PER_ADDRESS: String(LIMIT) });
    // Another Latchkey instance, with its own signing keys, at the same public URL.
    other = await startHarness("sqlite");
    await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
    await h.owner.ok("POST", "/v1/orgs", { name: "Umbrella" });
    await other.owner.ok("POST", "/v1/teams", { name: "Acme" });
  });
  afterAll(async () => {
    await other.close();
    await h.close();
  });

  it("revokes a genuine, live token at once and audits it as leaked, source public", async () => {
    const leaked = await mint("leaked");
    const bystander = await mint("bystander");
    expect(await works(leaked.token)).toBe(200);
    const res = await report([leaked.token]);
    expect(res.status, res.raw).toBe(200);
    expect(res.body).toEqual({ data: { received: 1 } });
    const next = await h.client({ bearer: leaked.token }).get("/v1/login");
    expect(next.status).toBe(401);
    expect(next.body.error?.code).toBe("TOKEN_REVOKED");
    expect(await works(bystander.token)).toBe(200);
    const feed = await events(h.owner, `${team}/audit-logs?eventType=apiTokens.leaked`);
    expect(feed).toHaveLength(1);
    expect(feed[0]).toMatchObject({
      eventType: "apiTokens.leaked",
      actor: { type: "anonymous" },
      resource: { type: "apiTokens", id: leaked.apiToken.id },
    });
    expect(feed[0]?.details.after).toMatchObject({ source: "public", revokedAt: expect.any(String) as string });
    expect(JSON.stringify(feed)).not.toContain(leaked.token.split(".")[2]);
    // Reported again: nothing more happens, and the reply is the same.
    expect((await report([leaked.token])).body).toEqual({ data: { received: 1 } });
    expect(await events(h.owner, `${team}/audit-logs?eventType=apiTokens.leaked`)).toHaveLength(1);
  });

  it("revokes every genuine token of a batch (team and organisation) and nothing else; the reply does not say which", async () => {
    const a = await mint("a");
    const b = await mint("b", "/v1/orgs/umbrella", "admin");
    const kept = await mint("kept");
    const foreign = (await other.owner.ok<Created>("POST", "/v1/teams/acme/tokens", { name: "other instance", roleId: "default" })).token;
    const [header, payload] = kept.token.split(".") as [string, string, string];
    // Same header and claims as a real token, signed by someone else's key; and a real token with a flipped signature.
    const forged = await new SignJWT(JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>)
      .setProtectedHeader(JSON.parse(Buffer.from(header, "base64url").toString()) as { alg: string })
      .sign(generateKeyPairSync("ed25519").privateKey);
    const flipped = `${kept.token.slice(0, -2)}${kept.token.endsWith("AA") ? "BA" : "AA"}`;
    const batch = [a.token, "garbage", "", forged, flipped, foreign, `${kept.token}x`, b.token, a.token, "x".repeat(8192)];
    const res = await report(batch);
    expect(res.status, res.raw).toBe(200);
    expect(res.body).toEqual({ data: { received: batch.length } });
    expect(await works(a.token)).toBe(401);
    expect(await works(b.token)).toBe(401);
    expect(await works(kept.token)).toBe(200);
    expect((await other.client({ bearer: foreign }).get("/v1/login")).status).toBe(200);
    // Garbage alone gets the very same reply.
    const garbage = await report(Array.from({ length: batch.length }, (_, i) => `not a token ${i}`));
    expect(garbage.status).toBe(200);
    expect(garbage.raw).toBe(res.raw);
    expect(await events(h.owner, "/v1/orgs/umbrella/audit-logs?eventType=apiTokens.leaked")).toHaveLength(1);
  });

  it("refuses oversized and malformed bodies with 400 or 413 and revokes nothing", async () => {
    const live = await mint("live");
    const tooMany = Array.from({ length: 1001 }, () => live.token.slice(0, 20));
    const cases: [unknown, number][] = [
      [{ tokens: [...tooMany, live.token] }, 400],
      [{ tokens: Array.from({ length: 10_000 }, () => live.token) }, 413],
      [{ tokens: Array.from({ length: 10_000 }, (_, i) => String(i)) }, 400],
      [{ tokens: live.token }, 400],
      [{ tokens: [live.token, 42] }, 400],
      [{ tokens: [live.token], extra: true }, 400],
      [{ tokens: [`${live.token}${"A".repeat(9000)}`, live.token] }, 400],
      [[live.token], 400],
    ];
    for (const [body, status] of cases) {
      const res = await h.anon.request("POST", "/v1/token-revocations", body, { "x-forwarded-for": "198.51.100.8" });
      expect(res.status, res.raw.slice(0, 200)).toBe(status);
      expect(res.body.error?.code).toBeDefined();
    }
    const text = await h.app.inject({
      method: "POST",
      url: "/v1/token-revocations",
      payload: `{"tokens":["${live.token}"`,
      headers: { "content-type": "application/json" },
    });
    expect(text.statusCode).toBe(400);
    expect(await works(live.token)).toBe(200);
  });

  it("limits requests per address (an IPv6 /64 counts as one) with 429 and Retry-After", async () => {
    // The harness serves inject() from 127.0.0.1 whatever x-forwarded-for says: every earlier report here counted.
    let res: TestReply | undefined;
    for (let i = 0; i < LIMIT + 1; i++) {
      res = await report(["x"]);
      if (res.status === 429) break;
    }
    expect(res?.status).toBe(429);
    expect(res?.body.error?.code).toBe("RATE_LIMITED");
    expect(Number(res?.headers["retry-after"])).toBeGreaterThan(0);
    const live = await mint("after the limit");
    expect((await report([live.token])).status).toBe(429);
    expect(await works(live.token)).toBe(200);
    const leaks = h.services.leaks;
    for (let i = 0; i < LIMIT; i++) leaks.admit(`2001:db8:1:2:${i}::1`);
    expect(() => leaks.admit("2001:db8:1:2:ffff::9")).toThrow(/too many/);
    expect(() => leaks.admit("2001:db8:1:3::1")).not.toThrow();
  });
});
