import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuditBuffer } from "./buffer.js";
import { expandSegment } from "./segments.js";
import { createAuditRepository } from "./repository.js";
import { appendBatch, inlineWriter } from "./writer.js";
import { dialects } from "../test-support/databases.js";
import { startHarness, type Harness } from "../test-support/harness.js";

/** The request events stored for one token, read straight from the store (no flush, no API). */
async function stored(h: Harness, tokenId: string) {
  const segments = await h.services.store.db.kysely
    .selectFrom("audit_segments")
    .selectAll()
    .where("feed", "=", `token:${tokenId}`)
    .execute();
  return { segments: segments.length, events: segments.flatMap(expandSegment) };
}

async function mint(h: Harness, name: string) {
  return h.owner.ok<{ token: string; apiToken: { id: string } }>("POST", "/v1/teams/acme/tokens", { name, roleId: "default" });
}

describe.each(dialects())("answered means audited (LATCHKEY_AUDIT_DURABILITY=commit, the default) on %s", (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
  });
  afterAll(() => h.close());

  it("is the default", () => {
    expect(h.config.audit.durability).toBe("commit");
  });

  it("a reply arrives only once its event has committed: each one is in the store when it is answered", async () => {
    const { token, apiToken } = await mint(h, "one by one");
    const t = h.client({ bearer: token });
    for (let i = 1; i <= 5; i++) {
      const reply = await t.get("/v1/projects");
      expect(reply.status).toBe(200);
      const { events } = await stored(h, apiToken.id);
      expect(events).toHaveLength(i);
      expect(events.some((e) => e.status === 200 && e.path === "/v1/projects")).toBe(true);
    }
    // Refusals by the permission check wait too (any admitted request).
    const denied = await t.delete("/v1/teams/acme");
    expect(denied.status).toBe(403);
    expect((await stored(h, apiToken.id)).events.filter((e) => e.status === 403)).toHaveLength(1);
    expect(h.services.audit.buffer.pending()).toBe(0);
  });

  it("concurrent requests share writes (fewer segments than requests) and the chains verify", async () => {
    const a = await mint(h, "group a");
    const b = await mint(h, "group b");
    const clients = [h.client({ bearer: a.token }), h.client({ bearer: b.token })];
    const replies = await Promise.all(Array.from({ length: 32 }, (_, i) => clients[i % 2]!.get("/v1/projects")));
    expect(replies.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    for (const minted of [a, b]) {
      const { segments, events } = await stored(h, minted.apiToken.id);
      expect(events).toHaveLength(16);
      // A write makes one segment per feed: 16 events in fewer segments were committed together.
      expect(segments).toBeLessThan(16);
      const v = await h.owner.ok("GET", `/v1/teams/acme/tokens/${minted.apiToken.id}/audit-logs/verify`);
      expect(v).toEqual({ ok: true, checked: 16 });
    }
    expect(await h.owner.ok("GET", "/v1/teams/acme/audit-logs/verify")).toMatchObject({ ok: true });
  });

  it("when the store cannot take the event, the reply is 503 AUDIT_UNAVAILABLE (never a 2xx), and the event is written later saying so", async () => {
    const { token, apiToken } = await mint(h, "store away");
    const t = h.client({ bearer: token });
    const db = h.services.store.db.kysely;
    await db.schema.alterTable("audit_segments").renameTo("audit_segments_away").execute();
    let statuses: number[];
    try {
      const replies = await Promise.all(Array.from({ length: 3 }, () => t.get("/v1/projects")));
      statuses = replies.map((r) => r.status);
      expect(replies[0]!.body.error?.code).toBe("AUDIT_UNAVAILABLE");
      expect(h.services.audit.buffer.failing()).toBe(true);
    } finally {
      await db.schema.alterTable("audit_segments_away").renameTo("audit_segments").execute();
    }
    expect(statuses).toEqual([503, 503, 503]);
    await h.services.audit.buffer.flush();
    expect(h.services.audit.buffer.pending()).toBe(0);
    const { events } = await stored(h, apiToken.id);
    expect(events.map((e) => [e.status, e.outcome])).toEqual([
      [503, "failed"],
      [503, "failed"],
      [503, "failed"],
    ]);
    expect((await t.get("/v1/projects")).status).toBe(200);
    expect((await stored(h, apiToken.id)).events).toHaveLength(4);
    expect(await h.owner.ok("GET", `/v1/teams/acme/tokens/${apiToken.id}/audit-logs/verify`)).toEqual({ ok: true, checked: 4 });
  });
});

describe.each(dialects())("the group commit of the audit buffer on %s", (kind) => {
  it("writes at the next turn of the event loop, never waiting for its timer; events of one turn share one write", async () => {
    const h = await startHarness(kind);
    try {
      await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
      const { apiToken } = await mint(h, "direct");
      // The timer is an hour away: only the group commit can write these.
      const buffer = createAuditBuffer({ writer: inlineWriter(h.services.store), max: 100, intervalMs: 3_600_000 });
      const draft = (i: number) =>
        h.services.audit.requestDraft({
          tokenId: apiToken.id,
          entityType: "team",
          entityId: "acme",
          email: null,
          context: { ip: "127.0.0.1", userAgent: `direct/${i}`, origin: "api", method: "GET", path: "/v1/projects" },
          status: 200,
          durationMs: 1,
          resource: { type: "projects", id: null },
        });
      const timeout = new Promise<string>((resolve) => setTimeout(() => resolve("timed out"), 2000));
      const first = await Promise.race([Promise.all(Array.from({ length: 10 }, (_, i) => buffer.commit(draft(i)))), timeout]);
      expect(first).not.toBe("timed out");
      expect(buffer.groups()).toMatchObject({ writes: 1, events: 10, largest: 10 });
      expect((await stored(h, apiToken.id)).events).toHaveLength(10);
      // Buffered events (record) queued before a waiting one go in its write.
      buffer.record(draft(10));
      await buffer.commit(draft(11));
      expect(buffer.groups()).toMatchObject({ writes: 2, events: 12 });
      expect(buffer.pending()).toBe(0);
      await buffer.close();
    } finally {
      await h.close();
    }
  });
});

describe.each(dialects())("LATCHKEY_AUDIT_DURABILITY=buffered on %s", (kind) => {
  it("answers before the event is written (the buffer's timer or shutdown writes it)", async () => {
    const h = await startHarness(kind, { LATCHKEY_AUDIT_DURABILITY: "buffered" });
    try {
      await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
      const { token, apiToken } = await mint(h, "buffered");
      const t = h.client({ bearer: token });
      expect((await t.get("/v1/projects")).status).toBe(200);
      expect((await stored(h, apiToken.id)).events).toHaveLength(0);
      expect(h.services.audit.buffer.pending()).toBe(1);
      await h.services.audit.buffer.flush();
      expect((await stored(h, apiToken.id)).events).toHaveLength(1);
    } finally {
      await h.close();
    }
  });
});

describe("the direct append on SQLite (the group commit's hot path)", () => {
  it("commits a batch synchronously when the connection is free, and leaves one that comes during an open transaction to a transaction of its own; one chain either way", async () => {
    const h = await startHarness("sqlite");
    try {
      await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
      const { apiToken } = await mint(h, "direct append");
      const draft = (i: number) =>
        h.services.audit.requestDraft({
          tokenId: apiToken.id,
          entityType: "team",
          entityId: "acme",
          email: null,
          context: { ip: "127.0.0.1", userAgent: `direct/${i}`, origin: "api", method: "GET", path: "/v1/projects" },
          status: 200,
          durationMs: 1,
          resource: { type: "projects", id: null },
        });
      const { db } = h.services.store;
      const repository = createAuditRepository(db.kysely, db.dialect);
      // Written before appendNow returns: no promise in between.
      expect(repository.appendNow([draft(0), draft(1)])).toBe(true);
      expect((await stored(h, apiToken.id)).events).toHaveLength(2);

      let entered!: () => void;
      let release!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      const held = db.transaction(async () => {
        entered();
        await new Promise<void>((resolve) => (release = resolve));
      });
      await inside;
      expect(repository.appendNow([draft(2)])).toBe(false);
      const late = appendBatch(db, [draft(3)]);
      release();
      await held;
      await late;
      const { events } = await stored(h, apiToken.id);
      expect(events.map((e) => e.user_agent)).toEqual(["direct/0", "direct/1", "direct/3"]);
      expect(await h.owner.ok("GET", `/v1/teams/acme/tokens/${apiToken.id}/audit-logs/verify`)).toEqual({ ok: true, checked: 3 });
    } finally {
      await h.close();
    }
  });

  it.runIf(dialects().includes("postgres"))("is not taken on PostgreSQL", async () => {
    const h = await startHarness("postgres");
    try {
      const { db } = h.services.store;
      expect(createAuditRepository(db.kysely, db.dialect).appendNow([])).toBe(false);
    } finally {
      await h.close();
    }
  });
});
