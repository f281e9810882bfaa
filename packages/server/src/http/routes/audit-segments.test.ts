import { describe, expect, it } from "vitest";
import { chain } from "../../audit/chain.js";
import { expandSegment, toSegments } from "../../audit/segments.js";
import type { AuditEventsTable } from "../../store/schema.js";
import { events, type Event } from "../../test-support/audit.js";
import { dialects } from "../../test-support/databases.js";
import { startHarness } from "../../test-support/harness.js";
import { everyPage } from "../../test-support/pages.js";

describe.each(dialects())("request events in segments on %s", (kind) => {
  it("pages a team feed newest first across many segments of two tokens and the changes between them", async () => {
    const h = await startHarness(kind);
    try {
      await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
      const made = await Promise.all(
        ["a", "b"].map((name) =>
          h.owner.ok<{ token: string; apiToken: { id: string } }>("POST", "/v1/teams/acme/tokens", { name, roleId: "default" }),
        ),
      );
      const [a, b] = made.map((m) => h.client({ bearer: m.token }));
      if (!a || !b) throw new Error("two tokens");
      // Each flush writes one segment per token feed: seven rounds of requests, with a change now and then.
      for (let round = 0; round < 7; round++) {
        for (let i = 0; i < 3; i++) expect((await a.get("/v1/projects")).status).toBe(200);
        expect((await b.get(`/v1/projects/p${round}`)).status).toBe(404);
        if (round % 3 === 0) await h.owner.ok("POST", "/v1/teams/acme/projects", { name: `Project ${round}` });
        await h.services.audit.buffer.flush();
      }
      const segments = await h.services.store.db.kysely.selectFrom("audit_segments").select("feed").execute();
      // At least one segment per feed per round; the buffer's own timer may split a round once more (seen on PostgreSQL).
      expect(segments.length).toBeGreaterThanOrEqual(14);

      const paged = (await everyPage<Event>(h.owner, "/v1/teams/acme/audit-logs?per_page=4", "auditLogs")).items;
      const all = await events(h.owner, "/v1/teams/acme/audit-logs?per_page=100");
      expect(paged.map((e) => e.id)).toEqual(all.map((e) => e.id));
      expect(new Set(paged.map((e) => e.id)).size).toBe(paged.length);
      expect(paged.filter((e) => e.eventType === "request")).toHaveLength(28);
      const keys = paged.map((e) => `${(e as unknown as { at: string }).at} ${e.id}`);
      expect(keys).toEqual([...keys].sort().reverse());

      const denied = await events(h.owner, `/v1/teams/acme/audit-logs?per_page=100&outcome=failed&tokenId=${made[1]?.apiToken.id ?? ""}`);
      expect(denied.map((e) => e.path)).toEqual([6, 5, 4, 3, 2, 1, 0].map((r) => `/v1/projects/p${r}`));
      const one = await events(h.owner, `/v1/teams/acme/audit-logs?per_page=100&resourceId=p3`);
      expect(one.map((e) => [e.status, e.resource])).toEqual([[404, { type: "projects", id: "p3" }]]);
      expect(await h.owner.ok("GET", "/v1/teams/acme/audit-logs/verify")).toMatchObject({ ok: true, checked: all.length });
    } finally {
      await h.close();
    }
  });

  it("prunes a token's old segments and its remaining chain still verifies", async () => {
    let now = new Date("2025-01-01T00:00:00Z");
    const h = await startHarness(kind, { LATCHKEY_AUDIT_RETENTION_DAYS: "30" }, { now: () => now });
    try {
      await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
      const made = await h.owner.ok<{ token: string; apiToken: { id: string } }>("POST", "/v1/teams/acme/tokens", {
        name: "ci",
        roleId: "default",
        expiresAt: null,
      });
      const t = h.client({ bearer: made.token });
      for (let i = 0; i < 3; i++) expect((await t.get("/v1/projects")).status).toBe(200);
      await h.services.audit.buffer.flush();
      now = new Date("2025-03-01T00:00:00Z");
      for (let i = 0; i < 2; i++) expect((await t.get("/v1/projects/x")).status).toBe(404);
      await h.services.audit.buffer.flush();
      expect(await h.services.audit.prune()).toBe(3 + 2); // three old requests; the team's and the token's creation
      const owner = await h.signIn("owner@example.com", "correct horse battery staple");
      const left = await events(owner, `/v1/teams/acme/tokens/${made.apiToken.id}/audit-logs?eventType=request`);
      expect(left.map((e) => e.status)).toEqual([404, 404]);
      expect(await owner.ok("GET", `/v1/teams/acme/tokens/${made.apiToken.id}/audit-logs/verify`)).toEqual({ ok: true, checked: 2 });
    } finally {
      await h.close();
    }
  });

  it("verifies a token feed stored with the first form of hash, and continues it with the second", async () => {
    const h = await startHarness(kind);
    try {
      await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
      const { token: oldToken, apiToken } = await h.owner.ok<{ token: string; apiToken: { id: string } }>("POST", "/v1/teams/acme/tokens", {
        name: "from an earlier version",
        roleId: "default",
      });
      const feed = `token:${apiToken.id}`;
      const db = h.services.store.db.kysely;
      // Three requests as an earlier version stored them: hex SHA-256 over every field (hashEvent), packed in a segment.
      const old = [1, 2, 3].map((n): AuditEventsTable => ({
        ...{ id: `evt_old${n}`, feed, seq: 0, entity_type: "team", entity_id: "acme", at: `2026-01-0${n}T00:00:00.000Z` },
        ...{ event_type: "request", actor_type: "apiToken", actor_id: apiToken.id, actor_email: null, token_id: apiToken.id },
        ...{ origin: "api", outcome: "allowed", status: 200, method: "GET", path: "/v1/projects", resource_type: "projects" },
        ...{ resource_id: null, ip: "10.0.0.1", user_agent: "old", duration_ms: n, details: "{}", prev_hash: "", hash: "" },
      }));
      const { rows, head } = chain(old, { seq: 0, hash: "" });
      await db.insertInto("audit_segments").values(toSegments(rows)).execute();
      await db.insertInto("audit_feed_heads").values({ feed, seq: head.seq, hash: head.hash, anchor_seq: 0, anchor_hash: "" }).execute();
      const verify = () =>
        h.owner.ok<{ ok: boolean; checked: number; firstBrokenId?: string }>(
          "GET",
          `/v1/teams/acme/tokens/${apiToken.id}/audit-logs/verify`,
        );
      expect(await verify()).toEqual({ ok: true, checked: 3 });

      const t = h.client({ bearer: oldToken });
      for (let i = 0; i < 2; i++) expect((await t.get("/v1/projects")).status).toBe(200);
      await h.services.audit.buffer.flush();
      expect(await verify()).toEqual({ ok: true, checked: 5 });
      const stored = (await db.selectFrom("audit_segments").selectAll().where("feed", "=", feed).orderBy("first_seq").execute()).flatMap(
        expandSegment,
      );
      expect(stored.map((r) => r.hash.length)).toEqual([64, 64, 64, 43, 43]);
      expect(stored[3]?.prev_hash).toBe(head.hash);

      // An old event edited inside its segment is still caught, by the old form of hash.
      const first = await db
        .selectFrom("audit_segments")
        .selectAll()
        .where("feed", "=", feed)
        .where("first_seq", "=", 1)
        .executeTakeFirstOrThrow();
      const forged = first.events.replace('"old"', '"forged"');
      expect(forged).not.toBe(first.events);
      await db.updateTable("audit_segments").set({ events: forged }).where("feed", "=", feed).where("first_seq", "=", 1).execute();
      expect(await verify()).toMatchObject({ ok: false, firstBrokenId: "evt_old1" });
      await db.updateTable("audit_segments").set({ events: first.events }).where("feed", "=", feed).where("first_seq", "=", 1).execute();
      expect((await verify()).ok).toBe(true);
    } finally {
      await h.close();
    }
  });
});
