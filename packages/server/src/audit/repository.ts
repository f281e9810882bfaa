import { chain, type AuditDraft } from "./chain.js";
import { chainSegments, expandSegment, isSegmentFeed } from "./segments.js";
import type { Executor } from "../store/database.js";
import type { Dialect } from "../store/dialects/dialect.js";
import type { EntityType } from "../store/schema.js";
import type { Repositories } from "../store/store.js";
import { createAuditPages } from "./pages.js";
import type { AuditRow } from "./order.js";

const INSERT_CHUNK = 400;

type Head = { seq: number; hash: string };

/** A batch's drafts by feed, the feeds in a fixed order (so that two batches never wait on each other in a cycle). */
function byFeed(drafts: AuditDraft[]): [string, AuditDraft[]][] {
  const feeds = new Map<string, AuditDraft[]>();
  for (const d of drafts) {
    const list = feeds.get(d.feed);
    if (list) list.push(d);
    else feeds.set(d.feed, [d]);
  }
  return [...feeds.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * One feed's drafts chained after its head, as the rows to store: a token feed's requests as one segment, a team's
 * or organisation's changes as a row each.
 */
function chainFeed(feed: string, drafts: AuditDraft[], head: Head) {
  if (isSegmentFeed(feed)) {
    const chained = chainSegments(drafts, head);
    return { table: "audit_segments" as const, rows: chained.segments as object[], head: chained.head };
  }
  const chained = chain(drafts, head);
  return { table: "audit_events" as const, rows: chained.rows as object[], head: chained.head };
}
/** Segments read at a time by the chain check: up to a thousand events, a few milliseconds of the event loop. */
const SEGMENTS_PER_CHUNK = 2;

/** The audit log: hash-chained feeds, appended under a per-feed lock so that chains stay linear across processes. */
export function createAuditRepository(db: Executor, dialect: Dialect) {
  const { bulkInsert } = dialect;
  const lockHead = async (feed: string) => {
    await db
      .insertInto("audit_feed_heads")
      .values({ feed, seq: 0, hash: "", anchor_seq: 0, anchor_hash: "" })
      .onConflict((oc) => oc.column("feed").doNothing())
      .execute();
    return dialect.forUpdate(db.selectFrom("audit_feed_heads").selectAll().where("feed", "=", feed)).executeTakeFirstOrThrow();
  };

  /** Where a pruned feed's stored chain now starts: after the last pruned event. */
  const setAnchor = (feed: string, seq: number, hash: string) =>
    db.updateTable("audit_feed_heads").set({ anchor_seq: seq, anchor_hash: hash }).where("feed", "=", feed).execute();

  /** How many request events the segments of these token feeds hold (up to `uptoSeq`). */
  const requestsStored = async (feeds: string[], uptoSeq?: number): Promise<number> => {
    if (feeds.length === 0) return 0;
    let q = db
      .selectFrom("audit_segments")
      .select((eb) => eb.fn.sum<number>(eb(eb("last_seq", "-", eb.ref("first_seq")), "+", 1)).as("n"))
      .where("feed", "in", feeds);
    if (uptoSeq !== undefined) q = q.where("last_seq", "<=", uptoSeq);
    return Number((await q.executeTakeFirstOrThrow()).n ?? 0);
  };

  /** Rows inserted in the caller's transaction: prepared statements on SQLite, Kysely in chunks on PostgreSQL. */
  const insertRows = async (table: "audit_segments" | "audit_events", rows: readonly object[]) => {
    if (bulkInsert) return bulkInsert(table, rows);
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      await db
        .insertInto(table)
        .values(rows.slice(i, i + INSERT_CHUNK) as never)
        .execute();
    }
  };
  const setHead = (feed: string, head: Head) =>
    db.updateTable("audit_feed_heads").set({ seq: head.seq, hash: head.hash }).where("feed", "=", feed).execute();

  return {
    /** Appends events to their feeds' chains; must run inside a transaction. */
    async append(drafts: AuditDraft[]): Promise<void> {
      for (const [feed, list] of byFeed(drafts)) {
        const { table, rows, head } = chainFeed(feed, list, await lockHead(feed));
        await insertRows(table, rows);
        await setHead(feed, head);
      }
    },

    /**
     * The same append as one synchronous SQLite transaction of prepared statements, on the pool (not inside a
     * transaction): the group commit's hot path. False, with nothing written, on PostgreSQL or when a transaction is
     * open on the connection; the caller then appends in a transaction of its own.
     */
    appendNow(drafts: AuditDraft[]): boolean {
      const { direct } = dialect;
      if (!direct || !bulkInsert) return false;
      return direct.transaction(() => {
        for (const [feed, list] of byFeed(drafts)) {
          let current = direct.get<Head>(`select seq, hash from audit_feed_heads where feed = ?`, [feed]);
          if (!current) {
            direct.run(`insert into audit_feed_heads (feed, seq, hash, anchor_seq, anchor_hash) values (?, 0, '', 0, '')`, [feed]);
            current = { seq: 0, hash: "" };
          }
          const { table, rows, head } = chainFeed(feed, list, current);
          bulkInsert(table, rows);
          direct.run(`update audit_feed_heads set seq = ?, hash = ? where feed = ?`, [head.seq, head.hash, feed]);
        }
      });
    },

    /**
     * A page of events, newest first: change events from their table, request events from the segments of token
     * feeds, merged (see pages.ts).
     */
    page: createAuditPages(db).page,

    requestsStored,

    head: (feed: string) => db.selectFrom("audit_feed_heads").selectAll().where("feed", "=", feed).executeTakeFirst(),

    /**
     * The stored events of a feed in chain order after `afterSeq` (and up to `uptoSeq`): about `limit` of them, or
     * a few segments' worth; none once the feed is read to its end.
     */
    async chunk(feed: string, afterSeq: number, limit: number, uptoSeq?: number): Promise<AuditRow[]> {
      if (isSegmentFeed(feed)) {
        let q = db.selectFrom("audit_segments").selectAll().where("feed", "=", feed).where("last_seq", ">", afterSeq);
        if (uptoSeq !== undefined) q = q.where("first_seq", "<=", uptoSeq);
        // In a feed, segments follow each other: by last_seq is by first_seq, and the index on last_seq starts where asked.
        const segments = await q.orderBy("last_seq").limit(SEGMENTS_PER_CHUNK).execute();
        return segments.flatMap(expandSegment).filter((r) => r.seq > afterSeq && (uptoSeq === undefined || r.seq <= uptoSeq));
      }
      let q = db.selectFrom("audit_events").selectAll().where("feed", "=", feed).where("seq", ">", afterSeq);
      if (uptoSeq !== undefined) q = q.where("seq", "<=", uptoSeq);
      return q.orderBy("seq").limit(limit).execute();
    },

    /** The feeds an entity's events live in (its own and its tokens'). */
    feedsOf: async (entityType: EntityType, entityId: string) => {
      const [changed, requested] = await Promise.all(
        (["audit_events", "audit_segments"] as const).map((table) =>
          db.selectFrom(table).select("feed").distinct().where("entity_type", "=", entityType).where("entity_id", "=", entityId).execute(),
        ),
      );
      return [...new Set([...(changed ?? []), ...(requested ?? [])].map((r) => r.feed))];
    },

    /**
     * Deletes events older than `cutoff`, feed by feed; the last deleted event becomes the feed's anchor, so the
     * chain that remains still verifies from there. A token feed's events go a segment at a time, once the newest of
     * the segment is past the cutoff. Must run inside a transaction.
     */
    async prune(cutoff: string): Promise<number> {
      const feeds = await db
        .selectFrom("audit_events")
        .select(["feed", (eb) => eb.fn.max("seq").as("last")])
        .where("at", "<", cutoff)
        .groupBy("feed")
        .execute();
      let removed = 0;
      for (const { feed, last } of feeds) {
        await lockHead(feed);
        const lastSeq = Number(last);
        const anchor = await db
          .selectFrom("audit_events")
          .select("hash")
          .where("feed", "=", feed)
          .where("seq", "=", lastSeq)
          .executeTakeFirstOrThrow();
        const result = await db.deleteFrom("audit_events").where("feed", "=", feed).where("seq", "<=", lastSeq).executeTakeFirst();
        removed += Number(result.numDeletedRows);
        await setAnchor(feed, lastSeq, anchor.hash);
      }
      // Token feeds go a segment at a time: one whose last event is older than the cutoff, with those before it.
      const segmentFeeds = await db
        .selectFrom("audit_segments")
        .select(["feed", (eb) => eb.fn.max("last_seq").as("last")])
        .where("max_at", "<", cutoff)
        .groupBy("feed")
        .execute();
      for (const { feed, last } of segmentFeeds) {
        await lockHead(feed);
        const lastSeq = Number(last);
        const anchor = await db
          .selectFrom("audit_segments")
          .select("last_hash")
          .where("feed", "=", feed)
          .where("last_seq", "=", lastSeq)
          .executeTakeFirstOrThrow();
        removed += await requestsStored([feed], lastSeq);
        await db.deleteFrom("audit_segments").where("feed", "=", feed).where("last_seq", "<=", lastSeq).execute();
        await setAnchor(feed, lastSeq, anchor.last_hash);
      }
      return removed;
    },
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;

/** The audit log on the store's pool or inside an open transaction: the store itself knows nothing of audit. */
export const auditOf = (repositories: Pick<Repositories, "executor">): AuditRepository =>
  createAuditRepository(repositories.executor.ex, repositories.executor.dialect);
