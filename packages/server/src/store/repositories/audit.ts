import { chain, type AuditDraft } from "../../audit/chain.js";
import type { Executor } from "../database.js";
import type { BulkInsert } from "../dialects/sqlite.js";
import { after, decodeCursor, toPage, type PageRequest } from "../pagination.js";
import type { AuditEventsTable, EntityType } from "../schema.js";

export type AuditRow = AuditEventsTable;

/** What an audit list may be narrowed to. */
export interface AuditFilter {
  entity?: { type: EntityType; id: string };
  /** One token's feed: its requests and the changes made to it. */
  tokenFeed?: string;
  /** Events made with one token. */
  tokenId?: string;
  after?: string;
  before?: string;
  eventType?: string;
  actor?: string;
  outcome?: string;
  origin?: string;
  resourceType?: string;
  resourceId?: string;
}

const INSERT_CHUNK = 400;

/** The audit log: hash-chained feeds, appended under a per-feed lock so that chains stay linear across processes. */
export function createAuditRepository(db: Executor, kind: "sqlite" | "postgres", bulkInsert: BulkInsert | null) {
  const lockHead = async (feed: string) => {
    await db
      .insertInto("audit_feed_heads")
      .values({ feed, seq: 0, hash: "", anchor_seq: 0, anchor_hash: "" })
      .onConflict((oc) => oc.column("feed").doNothing())
      .execute();
    let q = db.selectFrom("audit_feed_heads").selectAll().where("feed", "=", feed);
    if (kind === "postgres") q = q.forUpdate();
    return q.executeTakeFirstOrThrow();
  };

  return {
    /** Appends events to their feeds' chains; must run inside a transaction. */
    async append(drafts: AuditDraft[]): Promise<void> {
      const byFeed = new Map<string, AuditDraft[]>();
      for (const d of drafts) {
        const list = byFeed.get(d.feed);
        if (list) list.push(d);
        else byFeed.set(d.feed, [d]);
      }
      // Feeds locked in a fixed order: two batches never wait on each other in a cycle.
      for (const feed of [...byFeed.keys()].sort()) {
        const head = await lockHead(feed);
        const { rows, head: next } = chain(byFeed.get(feed) ?? [], head);
        if (bulkInsert) bulkInsert("audit_events", rows);
        else
          for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
            await db
              .insertInto("audit_events")
              .values(rows.slice(i, i + INSERT_CHUNK))
              .execute();
          }
        await db.updateTable("audit_feed_heads").set({ seq: next.seq, hash: next.hash }).where("feed", "=", feed).execute();
      }
    },

    async page(filter: AuditFilter, page: PageRequest) {
      const key = decodeCursor(page.cursor);
      let q = db.selectFrom("audit_events").selectAll();
      if (filter.entity) q = q.where("entity_type", "=", filter.entity.type).where("entity_id", "=", filter.entity.id);
      if (filter.tokenId) q = q.where("token_id", "=", filter.tokenId);
      if (filter.tokenFeed) {
        const id = filter.tokenFeed;
        q = q.where((eb) =>
          eb.or([eb("feed", "=", `token:${id}`), eb.and([eb("resource_type", "=", "apiTokens"), eb("resource_id", "=", id)])]),
        );
      }
      if (filter.after) q = q.where("at", ">", filter.after);
      if (filter.before) q = q.where("at", "<", filter.before);
      if (filter.eventType) q = q.where("event_type", "=", filter.eventType);
      if (filter.actor) {
        const actor = filter.actor;
        q = q.where((eb) => eb.or([eb("actor_id", "=", actor), eb("actor_email", "=", actor)]));
      }
      if (filter.outcome) q = q.where("outcome", "=", filter.outcome as AuditRow["outcome"]);
      if (filter.origin) q = q.where("origin", "=", filter.origin as AuditRow["origin"]);
      if (filter.resourceType) q = q.where("resource_type", "=", filter.resourceType);
      if (filter.resourceId) q = q.where("resource_id", "=", filter.resourceId);
      if (key) q = q.where(after("at", "id", key));
      const rows = await q
        .orderBy("at", "desc")
        .orderBy("id", "desc")
        .limit(page.perPage + 1)
        .execute();
      return toPage(rows, page.perPage, (r) => ({ createdAt: r.at, id: r.id }));
    },

    head: (feed: string) => db.selectFrom("audit_feed_heads").selectAll().where("feed", "=", feed).executeTakeFirst(),

    /** The stored events of a feed in chain order, `limit` at a time after `afterSeq` (and up to `uptoSeq`). */
    chunk: (feed: string, afterSeq: number, limit: number, uptoSeq?: number) => {
      let q = db.selectFrom("audit_events").selectAll().where("feed", "=", feed).where("seq", ">", afterSeq);
      if (uptoSeq !== undefined) q = q.where("seq", "<=", uptoSeq);
      return q.orderBy("seq").limit(limit).execute();
    },

    /** The feeds an entity's events live in (its own and its tokens'). */
    feedsOf: async (entityType: EntityType, entityId: string) =>
      (
        await db
          .selectFrom("audit_events")
          .select("feed")
          .distinct()
          .where("entity_type", "=", entityType)
          .where("entity_id", "=", entityId)
          .execute()
      ).map((r) => r.feed),

    /**
     * Deletes events older than `cutoff`, feed by feed; the last deleted event becomes the feed's anchor, so the
     * chain that remains still verifies from there. Must run inside a transaction.
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
        await db.updateTable("audit_feed_heads").set({ anchor_seq: lastSeq, anchor_hash: anchor.hash }).where("feed", "=", feed).execute();
      }
      return removed;
    },
  };
}
