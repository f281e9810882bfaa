import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chain, hashEvent, hashRequest, requestPlace, requestText } from "./chain.js";
import { chainSegments, expandSegment, toSegments } from "./segments.js";
import type { AuditEventsTable } from "../store/schema.js";
import { dialects } from "../test-support/databases.js";
import { startHarness, type Harness } from "../test-support/harness.js";

// Issue #22, item 1: the chain is more than a checksum per row. Each forgery below leaves every row's own hash right
// (it is recomputed after the edit), so only the link to the previous hash and the sequence can catch it; a check
// that compared rows with themselves alone passes all of them. Verification is driven through the public route.

interface Check {
  ok: boolean;
  checked: number;
  firstBrokenId?: string;
}

/** A row as the database gives it back, with its numbers as numbers (PostgreSQL may hand back strings). */
const plain = (r: AuditEventsTable): AuditEventsTable => ({
  ...r,
  seq: Number(r.seq),
  status: Number(r.status),
  duration_ms: r.duration_ms === null ? null : Number(r.duration_ms),
});

/** The item at `i`, which the test set up to exist. */
function nth<T>(list: readonly T[], i: number): T {
  const item = list.at(i);
  if (item === undefined) throw new Error(`no item ${i} of ${list.length}`);
  return item;
}

describe.each(dialects())("audit chain links on %s", (kind) => {
  let h: Harness;
  let tokenId: string;
  const db = () => h.services.store.db.kysely;
  const verifyTeam = () => h.owner.ok<Check>("GET", "/v1/teams/acme/audit-logs/verify");
  const verifyToken = () => h.owner.ok<Check>("GET", `/v1/teams/acme/tokens/${tokenId}/audit-logs/verify`);

  beforeEach(async () => {
    // Buffered: a flush of three requests writes one segment of three (with commit durability each sequential request
    // is a segment of its own, and the forgeries below need segments of several events).
    h = await startHarness(kind, { LATCHKEY_AUDIT_DURABILITY: "buffered" });
    await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
    // Change events in the team's feed, a row each: team, token and six projects.
    const made = await h.owner.ok<{ token: string; apiToken: { id: string } }>("POST", "/v1/teams/acme/tokens", {
      name: "ci",
      roleId: "default",
    });
    tokenId = made.apiToken.id;
    for (let i = 0; i < 6; i++) await h.owner.ok("POST", "/v1/teams/acme/projects", { name: `Project ${i}` });
    // Request events in the token's feed: a flush writes at least one segment, so four rounds make four or more.
    const t = h.client({ bearer: made.token });
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 3; i++) expect((await t.get(`/v1/projects/p${round}-${i}`)).status).toBe(404);
      await h.services.audit.buffer.flush();
    }
    expect(await verifyTeam()).toMatchObject({ ok: true });
    expect(await verifyToken()).toMatchObject({ ok: true });
  });
  afterEach(() => h.close());

  it("a token feed with no event yet verifies as an empty chain", async () => {
    const fresh = await h.owner.ok<{ apiToken: { id: string } }>("POST", "/v1/teams/acme/tokens", { name: "unused", roleId: "default" });
    expect(await h.owner.ok("GET", `/v1/teams/acme/tokens/${fresh.apiToken.id}/audit-logs/verify`)).toEqual({ ok: true, checked: 0 });
  });

  const teamRows = async () =>
    (await db().selectFrom("audit_events").selectAll().where("feed", "=", "team:acme").orderBy("seq").execute()).map(plain);
  const segments = () =>
    db().selectFrom("audit_segments").selectAll().where("feed", "=", `token:${tokenId}`).orderBy("first_seq").execute();
  const setHead = (feed: string, seq: number, hash: string) =>
    db().updateTable("audit_feed_heads").set({ seq, hash }).where("feed", "=", feed).execute();
  /** The rows as a per-row checksum would see them: each one's hash matches its own fields. */
  const selfConsistent = (rows: AuditEventsTable[]) => {
    for (const { hash, ...rest } of rows) expect(hashEvent(rest)).toBe(hash);
  };

  describe("a change feed (a row per event)", () => {
    it("a middle event deleted: the event after it no longer follows", async () => {
      const rows = await teamRows();
      expect(rows.length).toBeGreaterThanOrEqual(6);
      const [victim, next] = [nth(rows, 3), nth(rows, 4)];
      await db().deleteFrom("audit_events").where("feed", "=", "team:acme").where("seq", "=", victim.seq).execute();
      selfConsistent(await teamRows());
      expect(await verifyTeam()).toEqual({ ok: false, checked: 4, firstBrokenId: next.id });
    });

    it("an event edited and its own hash recomputed: the next event's link to it breaks", async () => {
      const rows = await teamRows();
      const [victim, next] = [nth(rows, 2), nth(rows, 3)];
      const forged = { ...victim, details: JSON.stringify({ after: { name: "forged" } }) };
      const { hash: _old, ...fields } = forged;
      forged.hash = hashEvent(fields);
      await db()
        .updateTable("audit_events")
        .set({ details: forged.details, hash: forged.hash })
        .where("feed", "=", "team:acme")
        .where("seq", "=", victim.seq)
        .execute();
      selfConsistent(await teamRows());
      expect(await verifyTeam()).toEqual({ ok: false, checked: 4, firstBrokenId: next.id });
    });

    it("two events swapped, each rehashed in its new place: the links catch the new order", async () => {
      const rows = await teamRows();
      const [a, b] = [nth(rows, 2), nth(rows, 3)];
      // b takes a's place and a takes b's, each keeping its own prev_hash and a hash recomputed for its new seq.
      const moved = [
        { ...b, seq: a.seq },
        { ...a, seq: b.seq },
      ].map((r) => {
        const { hash: _old, ...fields } = r;
        return { ...r, hash: hashEvent(fields) };
      });
      await db().deleteFrom("audit_events").where("feed", "=", "team:acme").where("seq", "in", [a.seq, b.seq]).execute();
      await db().insertInto("audit_events").values(moved).execute();
      selfConsistent(await teamRows());
      expect(await verifyTeam()).toEqual({ ok: false, checked: 3, firstBrokenId: b.id });
    });

    it("a seq skipped and the rest rehashed up to the head: only the sequence catches it", async () => {
      const rows = await teamRows();
      const kept = rows.slice(0, 3);
      const last = nth(kept, -1);
      // Every link and hash made right again from the fourth event on, the head moved with them: a gap is all that is left.
      const rest = rows.slice(3).map((r) => ({ ...r, seq: 0, prev_hash: "", hash: "" }));
      const { rows: rechained, head } = chain(rest, { seq: last.seq + 1, hash: last.hash });
      await db().deleteFrom("audit_events").where("feed", "=", "team:acme").where("seq", ">", last.seq).execute();
      await db().insertInto("audit_events").values(rechained).execute();
      await setHead("team:acme", head.seq, head.hash);
      const stored = await teamRows();
      selfConsistent(stored);
      stored.forEach((r, i) => expect(r.prev_hash).toBe(i === 0 ? "" : stored[i - 1]?.hash));
      expect(await verifyTeam()).toEqual({ ok: false, checked: 4, firstBrokenId: nth(rechained, 0).id });
    });
  });

  describe("a token feed (events stored in segments)", () => {
    /** The events of the feed's segments, each segment's own chain and hashes right as stored. */
    const stored = async () =>
      (await segments()).map((s) => expandSegment({ ...s, first_seq: Number(s.first_seq), last_seq: Number(s.last_seq) }));
    const selfConsistentSegments = (parts: AuditEventsTable[][]) => {
      for (const rows of parts)
        for (const r of rows) {
          const { hash, ...rest } = r;
          expect(hashRequest(r.prev_hash, r.seq, requestPlace(rest), requestText(rest))).toBe(hash);
        }
    };
    const deleteSegment = (firstSeq: number) =>
      db().deleteFrom("audit_segments").where("feed", "=", `token:${tokenId}`).where("first_seq", "=", firstSeq).execute();

    it("a middle segment deleted: the next segment no longer follows", async () => {
      const parts = await stored();
      expect(parts.length).toBeGreaterThanOrEqual(3);
      const [before, victim, next] = [nth(parts, 0), nth(parts, 1), nth(parts, 2)];
      await deleteSegment(nth(victim, 0).seq);
      selfConsistentSegments(await stored());
      expect(await verifyToken()).toEqual({ ok: false, checked: before.length + 1, firstBrokenId: nth(next, 0).id });
    });

    it("the last event of a middle segment edited and rehashed: the next segment's link to it breaks", async () => {
      const parts = await stored();
      const [before, victim, next] = [nth(parts, 0), nth(parts, 1), nth(parts, 2)];
      const edited = victim.map((r) => ({ ...r }));
      const last = nth(edited, -1);
      last.status = 200;
      last.outcome = "allowed";
      const { hash: _old, ...fields } = last;
      last.hash = hashRequest(last.prev_hash, last.seq, requestPlace(fields), requestText(fields));
      const [segment] = toSegments(edited);
      if (!segment) throw new Error("one segment");
      await deleteSegment(segment.first_seq);
      await db().insertInto("audit_segments").values(segment).execute();
      selfConsistentSegments(await stored());
      expect(await verifyToken()).toEqual({
        ok: false,
        checked: before.length + victim.length + 1,
        firstBrokenId: nth(next, 0).id,
      });
    });

    it("a segment rewritten to repeat the seq before it, the rest rehashed up to the head: only the sequence catches it", async () => {
      const parts = await stored();
      const [before, rest] = [nth(parts, 0), parts.slice(1)];
      expect(rest.length).toBeGreaterThanOrEqual(2);
      const tail = nth(before, -1);
      // The second segment on starts again at the first segment's last seq; every link and hash is made right.
      const drafts = rest.flat().map((r) => ({ ...r, seq: 0, prev_hash: "", hash: "" }));
      const { segments: forged, head } = chainSegments(drafts, { seq: tail.seq - 1, hash: tail.hash });
      for (const r of rest) await deleteSegment(nth(r, 0).seq);
      await db().insertInto("audit_segments").values(forged).execute();
      await setHead(`token:${tokenId}`, head.seq, head.hash);
      const now = await stored();
      selfConsistentSegments(now);
      const flat = now.flat();
      flat.forEach((r, i) => expect(r.prev_hash).toBe(i === 0 ? "" : flat[i - 1]?.hash));
      expect(flat.map((r) => r.seq).filter((s) => s === tail.seq)).toHaveLength(2);
      expect(await verifyToken()).toEqual({ ok: false, checked: before.length + 1, firstBrokenId: nth(drafts, 0).id });
    });
  });
});
