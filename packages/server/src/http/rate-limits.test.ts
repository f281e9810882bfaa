import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../test-support/databases.js";
import { startHarness, type Client, type Harness } from "../test-support/harness.js";

const HOUR = 3_600_000;

describe.each(dialects())("rate limits on %s", (kind) => {
  let h: Harness;
  let clock = Date.parse("2026-11-29T10:00:00.000Z");
  const mint = async (team: string, name: string): Promise<{ id: string; client: Client }> => {
    const data = await h.owner.ok<{ token: string; apiToken: { id: string } }>("POST", `/v1/teams/${team}/tokens`, {
      name,
      roleId: "default",
    });
    return { id: data.apiToken.id, client: h.client({ bearer: data.token }) };
  };

  beforeAll(async () => {
    h = await startHarness(
      kind,
      { LATCHKEY_RATE_LIMIT_PER_HOUR: "5", LATCHKEY_AUTH_FAILURES_PER_ADDRESS: "4" },
      { now: () => new Date(clock) },
    );
    await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
    await h.owner.ok("POST", "/v1/teams", { name: "Roomy" });
  });
  afterAll(() => h.close());

  it("tells every token reply its limit, what remains and when the window resets", async () => {
    const { client } = await mint("acme", "headers");
    const first = await client.get("/v1/projects");
    expect(first.status).toBe(200);
    expect(first.headers["x-ratelimit-limit"]).toBe("5");
    expect(first.headers["x-ratelimit-remaining"]).toBe("4");
    expect(first.headers["x-ratelimit-reset"]).toBe(String(Date.parse("2026-11-29T11:00:00.000Z") / 1000));
    // An error reply carries them too.
    const missing = await client.get("/v1/projects/nope");
    expect(missing.status).toBe(404);
    expect(missing.headers["x-ratelimit-remaining"]).toBe("3");
    // A console session is not a token: no token limit.
    expect((await h.owner.get("/v1/teams/acme/projects")).headers["x-ratelimit-limit"]).toBeUndefined();
  });

  it("answers 429 with Retry-After past the limit (never 401), audits it, and lets the token in again next window", async () => {
    const { id, client } = await mint("acme", "busy");
    for (let i = 0; i < 5; i++) expect((await client.get("/v1/projects")).status).toBe(200);
    const refused = await client.get("/v1/projects");
    expect(refused.status).toBe(429);
    expect(refused.body.error?.code).toBe("RATE_LIMITED");
    expect(refused.headers["x-ratelimit-remaining"]).toBe("0");
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    expect(Number(refused.headers["retry-after"])).toBeLessThanOrEqual(3600);
    // Refused requests are not counted: still 429, not a growing debt.
    expect((await client.get("/v1/projects")).status).toBe(429);

    await h.services.audit.buffer.flush();
    const feed = await h.owner.ok<{ auditLogs: { status: number; outcome: string }[] }>(
      "GET",
      `/v1/teams/acme/tokens/${id}/audit-logs?eventType=request`,
    );
    expect(feed.auditLogs.filter((e) => e.status === 429).map((e) => e.outcome)).toEqual(["denied", "denied"]);

    clock += HOUR;
    const next = await client.get("/v1/projects");
    expect(next.status).toBe(200);
    expect(next.headers["x-ratelimit-remaining"]).toBe("4");
  });

  it("a team's own limit applies to its tokens on their next request, and null restores the default", async () => {
    const { client } = await mint("roomy", "team limit");
    expect((await client.get("/v1/projects")).headers["x-ratelimit-limit"]).toBe("5");
    const team = await h.owner.ok<{ rateLimitPerHour: number | null }>("PATCH", "/v1/teams/roomy", { rateLimitPerHour: 50 });
    expect(team.rateLimitPerHour).toBe(50);
    const raised = await client.get("/v1/projects");
    expect(raised.headers["x-ratelimit-limit"]).toBe("50");
    expect(raised.headers["x-ratelimit-remaining"]).toBe("48");
    await h.owner.ok("PATCH", "/v1/teams/roomy", { rateLimitPerHour: null });
    expect((await client.get("/v1/projects")).headers["x-ratelimit-limit"]).toBe("5");
    expect((await h.owner.get("/v1/teams/roomy")).body.data).toMatchObject({ rateLimitPerHour: null });
  });

  it("an organisation's own limit applies to its organisation tokens", async () => {
    await h.owner.ok("POST", "/v1/orgs", { name: "Umbrella" });
    const data = await h.owner.ok<{ token: string }>("POST", "/v1/orgs/umbrella/tokens", { name: "org token", roleId: "member" });
    const client = h.client({ bearer: data.token });
    expect((await client.get("/v1/login")).headers["x-ratelimit-limit"]).toBe("5");
    expect(await h.owner.ok("PATCH", "/v1/orgs/umbrella", { rateLimitPerHour: 7 })).toMatchObject({ rateLimitPerHour: 7 });
    expect((await client.get("/v1/login")).headers["x-ratelimit-limit"]).toBe("7");
  });

  it("refuses a bad limit with 400 and changes nothing", async () => {
    for (const bad of [0, -1, 1.5, "100", 1e12]) {
      const res = await h.owner.patch("/v1/teams/roomy", { rateLimitPerHour: bad });
      expect(res.status).toBe(400);
      expect(res.body.error?.details).toHaveProperty("fields.rateLimitPerHour");
    }
    expect((await h.owner.get("/v1/teams/roomy")).body.data).toMatchObject({ rateLimitPerHour: null });
  });

  it("counts a token's requests in the store, so another process (or a restart) continues the count", async () => {
    const { id, client } = await mint("acme", "stored");
    for (let i = 0; i < 3; i++) await client.get("/v1/projects");
    await h.services.rateLimits.sync();
    const minute = Math.floor(clock / HOUR) * 60;
    const row = await h.services.store.db.kysely
      .selectFrom("rate_limits")
      .selectAll()
      .where("key", "=", `tok:${id}`)
      .where("window_minute", "=", minute)
      .executeTakeFirst();
    expect(row?.count).toBe(3);
    // What another process counted shows here after the next sync.
    await h.services.store.rateLimits.add([{ key: `tok:${id}`, window_minute: minute, count: 2 }]);
    await client.get("/v1/projects"); // 4 here, and it marks the key for the next sync
    await h.services.rateLimits.sync(); // reads back 3 + 2 + 1 = 6 >= 5
    expect((await client.get("/v1/projects")).status).toBe(429);
  });

  it("a sync asked for while another is under way also sends what was counted meanwhile", async () => {
    const limits = h.services.rateLimits;
    const ip = "203.0.113.77";
    limits.failed(ip);
    const underWay = limits.sync(); // has taken the 1 so far, and waits for the store
    limits.failed(ip);
    limits.failed(ip);
    await limits.sync(); // must not just hand back the sync under way, which left without these two
    await underWay;
    const row = await h.services.store.db.kysely
      .selectFrom("rate_limits")
      .selectAll()
      .where("key", "=", `ip:${ip}`)
      .where("window_minute", "=", Math.floor(clock / (15 * 60_000)) * 15)
      .executeTakeFirst();
    expect(row?.count).toBe(3);
  });

  it("refuses an address with 429 after too many failed token authentications, before looking at its token", async () => {
    const from = (remoteAddress: string, token: string) =>
      h.app.inject({ method: "GET", url: "/v1/projects", remoteAddress, headers: { authorization: `Bearer ${token}` } });
    const good = (await h.owner.ok<{ token: string }>("POST", "/v1/teams/acme/tokens", { name: "good", roleId: "default" })).token;
    for (let i = 0; i < 4; i++) expect((await from("198.51.100.7", `bad.${i}.token`)).statusCode).toBe(401);
    const blocked = await from("198.51.100.7", "bad.again.token");
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(0);
    // A good token from that address waits too; other addresses are untouched.
    expect((await from("198.51.100.7", good)).statusCode).toBe(429);
    expect((await from("198.51.100.8", good)).statusCode).toBe(200);
    // A quarter of an hour later the address may try again.
    clock += 15 * 60_000;
    expect((await from("198.51.100.7", good)).statusCode).toBe(200);
  });
});
