import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expandSegment } from "../../audit/segments.js";
import { dialects } from "../../test-support/databases.js";
import { events, type Event } from "../../test-support/audit.js";
import { startHarness, type Harness } from "../../test-support/harness.js";

describe.each(dialects())("audit logs on %s", (kind) => {
  let h: Harness;
  let token: string;
  let tokenId: string;
  beforeAll(async () => {
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
    await h.owner.ok("POST", "/v1/teams/acme/roles", {
      name: "Reader",
      permissions: { teamScope: ["team.read", "team.audit.read"], projectScope: ["project.read"] },
    });
    const created = await h.owner.ok<{ token: string; apiToken: { id: string } }>("POST", "/v1/teams/acme/tokens", {
      name: "ci",
      roleId: "reader",
    });
    token = created.token;
    tokenId = created.apiToken.id;
  });
  afterAll(() => h.close());

  it("records every change in the team feed with its actor, origin and before/after", async () => {
    await h.owner.request("POST", "/v1/teams/acme/projects", { name: "Billing" }, { "x-latchkey-origin": "ui" });
    await h.owner.ok("PATCH", "/v1/teams/acme/projects/billing", { description: "money" });
    const feed = await events(h.owner, "/v1/teams/acme/audit-logs");
    const types = feed.map((e) => e.eventType);
    expect(types).toEqual(
      expect.arrayContaining(["teams.create", "roles.create", "apiTokens.create", "projects.create", "projects.update"]),
    );
    const update = feed.find((e) => e.eventType === "projects.update");
    expect(update).toMatchObject({
      actor: { type: "user", email: "owner@example.com" },
      outcome: "allowed",
      method: "PATCH",
      path: "/v1/teams/acme/projects/billing",
      resource: { type: "projects", id: "billing" },
      details: { before: { description: "" }, after: { description: "money" } },
    });
    expect(feed.find((e) => e.eventType === "projects.create")?.origin).toBe("ui");
    expect(feed[0]?.eventType).toBe("projects.update");
  });

  it("records every request made with a token in its feed: allowed, denied and failed", async () => {
    const t = h.client({ bearer: token });
    expect((await t.get("/v1/projects")).status).toBe(200);
    expect((await t.post("/v1/projects", { name: "Nope" })).status).toBe(403);
    expect((await t.get("/v1/projects/missing")).status).toBe(404);
    await h.services.audit.buffer.flush();
    const feed = await events(h.owner, `/v1/teams/acme/tokens/${tokenId}/audit-logs?eventType=request`);
    expect(feed.slice(0, 3).map((e) => [e.method, e.path, e.status, e.outcome])).toEqual([
      ["GET", "/v1/projects/missing", 404, "failed"],
      ["POST", "/v1/projects", 403, "denied"],
      ["GET", "/v1/projects", 200, "allowed"],
    ]);
    expect(feed[0]).toMatchObject({ actor: { type: "apiToken", id: tokenId }, tokenId, resource: { type: "projects", id: "missing" } });
  });

  it("shows a token's own lifecycle in its feed and records uses after revocation as denied", async () => {
    const made = await h.owner.ok<{ token: string; apiToken: { id: string } }>("POST", "/v1/teams/acme/tokens", {
      name: "short",
      roleId: "reader",
    });
    await h.owner.ok("DELETE", `/v1/teams/acme/tokens/${made.apiToken.id}`);
    expect((await h.client({ bearer: made.token }).get("/v1/projects")).status).toBe(401);
    await h.services.audit.buffer.flush();
    const feed = await events(h.owner, `/v1/teams/acme/tokens/${made.apiToken.id}/audit-logs`);
    expect(feed.map((e) => [e.eventType, e.outcome, e.status])).toEqual([
      ["request", "denied", 401],
      ["apiTokens.revoke", "allowed", 200],
      ["apiTokens.create", "allowed", 200],
    ]);
  });

  it("filters, paginates, and never holds a secret", async () => {
    const denied = await events(h.owner, "/v1/teams/acme/audit-logs?outcome=denied");
    expect(denied.length).toBeGreaterThan(0);
    expect(denied.every((e) => e.outcome === "denied")).toBe(true);
    const byToken = await events(h.owner, `/v1/teams/acme/audit-logs?tokenId=${tokenId}`);
    expect(byToken.every((e) => e.tokenId === tokenId)).toBe(true);
    expect(await events(h.owner, "/v1/teams/acme/audit-logs?after=2999-01-01T00:00:00Z")).toEqual([]);
    const page = await h.owner.get("/v1/teams/acme/audit-logs?per_page=2");
    expect(page.body.pagination).toMatchObject({ hasNextPage: true, count: 2 });
    const next = await h.owner.get(`/v1/teams/acme/audit-logs?per_page=2&cursor=${page.body.pagination?.cursor ?? ""}`);
    const ids = (r: typeof page) => (r.body.data as { auditLogs: Event[] }).auditLogs.map((e) => e.id);
    expect(ids(next)).not.toEqual(expect.arrayContaining(ids(page)));
    const db = h.services.store.db.kysely;
    const all = JSON.stringify([
      await db.selectFrom("audit_events").selectAll().execute(),
      await db.selectFrom("audit_segments").selectAll().execute(),
    ]);
    expect(all).not.toContain(token);
    expect(all).not.toContain(token.split(".")[2]);
    expect(all).not.toContain("correct horse battery staple");
    expect((await h.owner.get("/v1/teams/acme/audit-logs?outcome=maybe")).status).toBe(400);
  });

  it("streams every matching event as JSON lines", async () => {
    const res = await h.app.inject({
      method: "GET",
      url: "/v1/teams/acme/audit-logs?format=jsonl&eventType=request",
      headers: { cookie: await cookieOf(h) },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("application/x-ndjson");
    const lines = res.body
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Event);
    expect(lines.length).toBeGreaterThanOrEqual(4);
    expect(lines.every((e) => e.eventType === "request")).toBe(true);
  });

  it("needs the audit permission of the scope", async () => {
    const member = await h.newMember(h.owner, "/v1/teams/acme", ["reader"]);
    expect((await member.get("/v1/teams/acme/audit-logs")).status).toBe(200);
    await h.owner.ok("POST", "/v1/teams", { name: "Other" });
    expect((await member.get("/v1/teams/other/audit-logs")).status).toBe(404);
    const plain = await h.newMember(h.owner, "/v1/teams/acme", ["default"]);
    await h.owner.ok("PATCH", "/v1/teams/acme/roles/default", { permissions: { teamScope: ["team.read"], projectScope: [] } });
    const res = await plain.get("/v1/teams/acme/audit-logs");
    expect(res.status).toBe(403);
    expect(res.body.error?.details).toMatchObject({ permission: "team.audit.read" });
    expect((await h.client({ bearer: token }).get("/v1/audit-logs")).status).toBe(200);
  });

  it("verifies the chain, and reports an edited or removed event", async () => {
    await h.services.audit.buffer.flush();
    const ok = await h.owner.ok<{ ok: boolean; checked: number }>("GET", "/v1/teams/acme/audit-logs/verify");
    expect(ok.ok).toBe(true);
    expect(ok.checked).toBeGreaterThan(5);
    const db = h.services.store.db.kysely;
    const victim = await db
      .selectFrom("audit_events")
      .selectAll()
      .where("feed", "=", "team:acme")
      .orderBy("seq")
      .limit(1)
      .offset(2)
      .executeTakeFirstOrThrow();
    await db
      .updateTable("audit_events")
      .set({ details: JSON.stringify({ after: { name: "forged" } }) })
      .where("id", "=", victim.id)
      .execute();
    expect(await h.owner.ok("GET", "/v1/teams/acme/audit-logs/verify")).toMatchObject({ ok: false, firstBrokenId: victim.id });
    await db.updateTable("audit_events").set({ details: victim.details }).where("id", "=", victim.id).execute();
    expect(await h.owner.ok("GET", "/v1/teams/acme/audit-logs/verify")).toMatchObject({ ok: true });
    const tokenFeed = await h.owner.ok<{ ok: boolean }>("GET", `/v1/teams/acme/tokens/${tokenId}/audit-logs/verify`);
    expect(tokenFeed.ok).toBe(true);
    // A request event is edited inside its segment: verify names it, and is content again once it is put back.
    const segment = await db
      .selectFrom("audit_segments")
      .selectAll()
      .where("feed", "=", `token:${tokenId}`)
      .orderBy("first_seq", "desc")
      .limit(1)
      .executeTakeFirstOrThrow();
    const requests = expandSegment(segment);
    const forged = segment.events.replace(",200,", ",204,");
    expect(forged).not.toBe(segment.events);
    const where = (q: typeof db) =>
      q.updateTable("audit_segments").where("feed", "=", segment.feed).where("first_seq", "=", segment.first_seq);
    await where(db).set({ events: forged }).execute();
    const broken = await h.owner.ok<{ ok: boolean; firstBrokenId: string }>("GET", `/v1/teams/acme/tokens/${tokenId}/audit-logs/verify`);
    expect(broken.ok).toBe(false);
    expect(requests.map((r) => r.id)).toContain(broken.firstBrokenId);
    await where(db).set({ events: segment.events }).execute();
    expect((await h.owner.ok<{ ok: boolean }>("GET", `/v1/teams/acme/tokens/${tokenId}/audit-logs/verify`)).ok).toBe(true);
    // The newest requests removed: the head points past what is stored.
    await db.deleteFrom("audit_segments").where("feed", "=", segment.feed).where("first_seq", "=", segment.first_seq).execute();
    expect((await h.owner.ok<{ ok: boolean }>("GET", `/v1/teams/acme/tokens/${tokenId}/audit-logs/verify`)).ok).toBe(false);
  });
});

async function cookieOf(h: Harness): Promise<string> {
  const res = await h.app.inject({
    method: "POST",
    url: "/v1/session",
    payload: { email: "owner@example.com", password: "correct horse battery staple" },
  });
  return `latchkey_session=${res.cookies.find((c) => c.name === "latchkey_session")?.value ?? ""}`;
}

describe.each(dialects())("audit durability on %s", (kind) => {
  it("buffered: answers 503 AUDIT_UNAVAILABLE when the store cannot take events and the buffer is full, never a 2xx without its event", async () => {
    const h = await startHarness(kind, { LATCHKEY_AUDIT_BUFFER_MAX: "3", LATCHKEY_AUDIT_DURABILITY: "buffered" });
    try {
      await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
      const { token } = await h.owner.ok<{ token: string }>("POST", "/v1/teams/acme/tokens", { name: "ci", roleId: "default" });
      const t = h.client({ bearer: token });
      const db = h.services.store.db.kysely;
      await db.schema.alterTable("audit_segments").renameTo("audit_segments_away").execute();
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        statuses.push((await t.get("/v1/projects")).status);
        await h.services.audit.buffer.flush();
      }
      expect(statuses.filter((s) => s === 200)).toHaveLength(3);
      expect(statuses.slice(3)).toEqual([503, 503, 503]);
      const refused = await t.get("/v1/projects");
      expect(refused.body.error?.code).toBe("AUDIT_UNAVAILABLE");
      expect(h.services.audit.buffer.failing()).toBe(true);
      await db.schema.alterTable("audit_segments_away").renameTo("audit_segments").execute();
      await h.services.audit.buffer.flush();
      expect(h.services.audit.buffer.pending()).toBe(0);
      expect((await t.get("/v1/projects")).status).toBe(200);
      await h.services.audit.buffer.flush();
      const stored = (await db.selectFrom("audit_segments").selectAll().execute()).flatMap(expandSegment);
      expect(stored.filter((e) => e.event_type === "request" && e.status === 200)).toHaveLength(4);
    } finally {
      await h.close();
    }
  });

  it("prunes events past retention and the remaining chain still verifies", async () => {
    let now = new Date("2025-01-01T00:00:00Z");
    const h = await startHarness(kind, { LATCHKEY_AUDIT_RETENTION_DAYS: "30" }, { now: () => now });
    try {
      await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
      await h.owner.ok("POST", "/v1/teams/acme/projects", { name: "Old" });
      now = new Date("2025-03-01T00:00:00Z");
      const owner = await h.signIn("owner@example.com", "correct horse battery staple");
      await owner.ok("POST", "/v1/teams/acme/projects", { name: "New" });
      const removed = await h.services.audit.prune();
      expect(removed).toBe(2);
      const left = await events(owner, "/v1/teams/acme/audit-logs");
      expect(left.map((e) => e.eventType)).toEqual(["projects.create"]);
      expect(await owner.ok("GET", "/v1/teams/acme/audit-logs/verify")).toEqual({ ok: true, checked: 1 });
    } finally {
      await h.close();
    }
  });
});
