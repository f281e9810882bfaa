import { afterEach, describe, expect, it } from "vitest";
import { AUDIT_READ_LIMITS, type Release } from "../../audit/reads.js";
import type { Principal } from "../../access/principal.js";
import { writeRequests } from "../../test-support/audit.js";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Client, type Harness } from "../../test-support/harness.js";

/**
 * Issue 20, items 4 and 8, from the attacker's side: an ordinary member holding only the team's `default` role (which
 * carries `team.audit.read`) asks for the expensive audit reads (the chain check, JSON lines exports).
 */
describe.each(dialects())("expensive audit reads by a default member on %s", (kind) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const start = async (options: Parameters<typeof startHarness>[2] = {}): Promise<{ h: Harness; member: Client }> => {
    h = await startHarness(kind, {}, options);
    await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
    const member = await h.newMember(h.owner, "/v1/teams/acme", ["default"]);
    return { h, member };
  };

  it("exports JSON lines without logging an error", async () => {
    const log: string[] = [];
    const { member } = await start({ logStream: { write: (line) => void log.push(line) } });
    const res = await member.request("GET", "/v1/teams/acme/audit-logs?format=jsonl");
    expect(res.status).toBe(200);
    expect(res.raw.trim().split("\n").length).toBeGreaterThanOrEqual(2);
    // pino writes level 50 for error and above.
    const errors = log.map((l) => JSON.parse(l) as { level: number; msg?: string }).filter((l) => l.level >= 50);
    expect(errors).toEqual([]);
  });

  it("limits a member's checks and exports per 15 minutes, with the usual headers, and lets them in again after", async () => {
    let now = new Date("2026-03-02T10:00:00.000Z");
    const { h, member } = await start({ now: () => now });
    const limit = AUDIT_READ_LIMITS.perWindow;
    for (let i = 0; i < limit; i++) {
      const res = await member.get(i % 2 === 0 ? "/v1/teams/acme/audit-logs/verify" : "/v1/teams/acme/audit-logs?format=jsonl");
      expect(res.status).toBe(200);
      expect(res.headers["x-ratelimit-remaining"]).toBe(String(limit - i - 1));
    }
    for (const url of ["/v1/teams/acme/audit-logs/verify", "/v1/teams/acme/audit-logs?format=jsonl"]) {
      const refused = await member.get(url);
      expect(refused.status).toBe(429);
      expect(refused.body.error?.code).toBe("RATE_LIMITED");
      expect(refused.headers["x-ratelimit-limit"]).toBe(String(limit));
      expect(refused.headers["x-ratelimit-remaining"]).toBe("0");
      expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    }
    // Pages of the feed are not what the limit counts.
    expect((await member.get("/v1/teams/acme/audit-logs")).status).toBe(200);
    // Another person has limits of their own.
    expect((await h.owner.get("/v1/teams/acme/audit-logs/verify")).status).toBe(200);
    now = new Date(now.getTime() + AUDIT_READ_LIMITS.windowMs);
    expect((await member.get("/v1/teams/acme/audit-logs/verify")).status).toBe(200);
  });

  it("runs a few at a time in the process, queues a few more, and refuses the rest with 429", async () => {
    const { h, member } = await start();
    const gate = h.services.auditReads;
    const someone = (userId: string) => ({ userId }) as Principal;
    // Other people's reads hold every running place (the gate itself, as their requests would).
    const held: Release[] = [];
    for (let i = 0; i < AUDIT_READ_LIMITS.running; i++) held.push(await gate.enter(someone(`u-run-${i}`)));
    const waiting = member.get("/v1/teams/acme/audit-logs/verify");
    const deadline = Date.now() + 10_000;
    while (gate.load().waiting < 1) {
      if (Date.now() > deadline) throw new Error("the member's check never queued");
      await new Promise((r) => setTimeout(r, 5));
    }
    const queued = Array.from({ length: AUDIT_READ_LIMITS.waiting - 1 }, (_, i) => gate.enter(someone(`u-wait-${i}`)));
    expect(gate.load()).toEqual({ running: AUDIT_READ_LIMITS.running, waiting: AUDIT_READ_LIMITS.waiting });
    const full = await h.owner.get("/v1/teams/acme/audit-logs?format=jsonl");
    expect(full.status).toBe(429);
    expect(full.body.error?.message).toContain("too many audit checks and exports");
    expect(full.headers["retry-after"]).toBe("1");

    for (const release of held) release();
    expect((await waiting).status).toBe(200);
    // Each gets its place as one is given back, and gives it back in turn.
    await Promise.all(queued.map((entered) => entered.then((release) => release())));
    expect(gate.load()).toEqual({ running: 0, waiting: 0 });
  });

  it("lets one person hold only two places", async () => {
    const { h, member } = await start();
    const gate = h.services.auditReads;
    const self = { userId: member.userId } as Principal;
    const held = [await gate.enter(self), await gate.enter(self)];
    const refused = await member.get("/v1/teams/acme/audit-logs/verify");
    expect(refused.status).toBe(429);
    expect(refused.body.error?.message).toContain("already have 2");
    // Someone else waits for a place (the member's two are the process's two), and gets one when they are given back.
    const other = h.owner.get("/v1/teams/acme/audit-logs/verify");
    for (const release of held) release();
    expect((await other).status).toBe(200);
    expect((await member.get("/v1/teams/acme/audit-logs/verify")).status).toBe(200);
  });

  it("answers a filter that matches nothing a bounded page at a time, and still finds an old match", async () => {
    let now = new Date("2026-03-02T10:00:00.000Z");
    const { h, member } = await start({ now: () => now });
    const made = await h.owner.ok<{ apiToken: { id: string } }>("POST", "/v1/teams/acme/tokens", { name: "busy", roleId: "default" });
    // 200 segments of 5 requests, a second apart; the oldest request is the only one on project "needle".
    await writeRequests(h, made.apiToken.id, 1000, {
      perSegment: 5,
      beforeBatch: () => void (now = new Date(now.getTime() + 1000)),
      each: (draft, i) => {
        if (i === 0) draft.resource_id = "needle";
      },
    });
    const first = await member.get("/v1/teams/acme/audit-logs?resourceId=nothing");
    expect(first.status).toBe(200);
    // The old code read all 200 segments and answered "no next page".
    expect(first.body.pagination).toMatchObject({ count: 0, hasNextPage: true });

    let cursor = first.body.pagination?.cursor ?? "";
    let pages = 1;
    const found: unknown[] = [];
    for (let url = "/v1/teams/acme/audit-logs?resourceId=needle"; url; pages++) {
      const res = await member.get(url);
      expect(res.status).toBe(200);
      found.push(...(res.body.data as { auditLogs: unknown[] }).auditLogs);
      cursor = res.body.pagination?.cursor ?? "";
      url = res.body.pagination?.hasNextPage ? `/v1/teams/acme/audit-logs?resourceId=needle&cursor=${cursor}` : "";
      expect(pages).toBeLessThan(20);
    }
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ resource: { type: "projects", id: "needle" }, tokenId: made.apiToken.id });
    // A page reads at most about 64 segments: 200 segments take a few pages, not one.
    expect(pages).toBeGreaterThan(3);
    // The export of the same filter walks the whole feed, a page at a time, and finds it too.
    const exported = await member.get("/v1/teams/acme/audit-logs?format=jsonl&resourceId=needle");
    expect(exported.raw.trim().split("\n")).toHaveLength(1);
  });
});
