import { chain, type AuditDraft } from "./chain.js";
import { chainSegments, expandSegment, isSegmentFeed } from "./segments.js";
import type { Executor } from "../store/database.js";
import type { Dialect } from "../store/dialects/dialect.js";
import { after, decodeCursor, encodeCursor, toPage, type Keyset, type Page, type PageRequest } from "../store/pagination.js";
import type { EntityType } from "../store/schema.js";
import type { TimeSlicer } from "../lib/time-slices.js";
import type { Repositories } from "../store/store.js";
import { eventTypeMatches } from "@latchkey/core";
import { sql } from "kysely";
import {
  changedIn,
  comesAfter,
  justAtOrBefore,
  matches,
  mayBeRequest,
  newestFirst,
  REQUEST_EVENT,
  segmentAfter,
  teamOfPath,
  type AuditFilter,
  type AuditRow,
  type SegmentKey,
} from "./order.js";

const INSERT_CHUNK = 400;

type Head = { seq: number; hash: string };

/** Segments a list reads request events from: an entity's, and which of their events it keeps (all, by default). */
type RequestSource = { entity: AuditFilter["entity"]; keep?: (r: AuditRow) => boolean };

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
/** Segments read at a time by a list: the first read is small (a page is usually in the newest segment), then more. */
const SEGMENTS_FIRST = 2;
const SEGMENTS_MAX = 32;
/** Segments one page may read before it answers with what it is sure of and a cursor to go on from (see `requests`). */
const MAX_SEGMENTS_PER_PAGE = 64;
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

  /** Change events (team and organisation feeds) that match, newest first, up to `limit`. */
  const changes = async (filter: AuditFilter, key: Keyset | undefined, limit: number): Promise<AuditRow[]> => {
    // Change events are never requests; a prefix (`apiTokens`) holds the types under it.
    if (filter.eventType === REQUEST_EVENT) return [];
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
    if (filter.eventType) {
      const type = filter.eventType;
      // A comparison of the first characters, not LIKE: `_` in a type is no wildcard, and the read stays on the entity's
      // index in time order, as with an exact type.
      const head = sql<string>`substr(event_type, 1, ${sql.lit(type.length + 1)})`;
      q = q.where((eb) => eb.or([eb("event_type", "=", type), eb(head, "=", `${type}.`)]));
    }
    if (filter.actor) {
      const actor = filter.actor;
      q = q.where((eb) => eb.or([eb("actor_id", "=", actor), eb("actor_email", "=", actor)]));
    }
    if (filter.outcome) q = q.where("outcome", "=", filter.outcome as AuditRow["outcome"]);
    if (filter.origin) q = q.where("origin", "=", filter.origin as AuditRow["origin"]);
    if (filter.resourceType) q = q.where("resource_type", "=", filter.resourceType);
    if (filter.resourceId) q = q.where("resource_id", "=", filter.resourceId);
    if (key) q = q.where(after("at", "id", key));
    return q.orderBy("at", "desc").orderBy("id", "desc").limit(limit).execute();
  };

  /**
   * Where a list's request events are read from: the segments of the entity's own tokens and, for a team's feed, those
   * of its organisation's tokens, of which only the requests made against this team are kept.
   */
  const sourcesOf = (filter: AuditFilter): RequestSource[] => {
    const sources: RequestSource[] = [{ entity: filter.entity }];
    const org = filter.orgRequests;
    if (org && (filter.eventType === undefined || eventTypeMatches(REQUEST_EVENT, filter.eventType))) {
      sources.push({
        entity: { type: "org", id: org.orgId },
        keep: (r) => r.event_type === REQUEST_EVENT && teamOfPath(r.path) === org.teamId,
      });
    }
    return sources;
  };

  /**
   * Request events (token feeds, in segments) that match, newest first, up to `limit`. Reads at most about
   * MAX_SEGMENTS_PER_PAGE segments: past that, it returns the events it is sure of and a `frontier`, a cursor key
   * above which every event has been looked at (a filter that matches little then costs a page at a time, not a scan
   * of the whole feed). The frontier is always after `key`, so paging on from it gets somewhere.
   * Each source (see `sourcesOf`) is read in its own order, newest first, a batch at a time: an event is certain once
   * it is newer than every source's last segment read so far.
   */
  const requests = async (
    filter: AuditFilter,
    key: Keyset | undefined,
    limit: number,
    slicer: TimeSlicer | undefined,
  ): Promise<{ rows: AuditRow[]; frontier?: Keyset }> => {
    // A token feed holds the requests made with that token, and nothing else.
    if (filter.tokenFeed !== undefined && filter.tokenId !== undefined && filter.tokenFeed !== filter.tokenId) return { rows: [] };
    if (filter.eventType !== undefined && !mayBeRequest(filter.eventType)) return { rows: [] };
    const feed = filter.tokenFeed ?? filter.tokenId;
    // In a team's or organisation's feed, a request that changed something there is shown by its change events.
    const view = filter.tokenFeed === undefined && filter.entity ? `${filter.entity.type}:${filter.entity.id}` : undefined;
    const sources = sourcesOf(filter).map((s) => ({ ...s, last: null as SegmentKey | null, done: false }));
    let found: AuditRow[] = [];
    let batch = SEGMENTS_FIRST;
    let examined = 0;
    for (;;) {
      // Every segment not read yet ends at or before the newest of the sources' last segments read.
      let bound: string | null = null;
      for (const source of sources) {
        if (source.done) continue;
        let q = db.selectFrom("audit_segments").selectAll();
        if (source.entity) q = q.where("entity_type", "=", source.entity.type).where("entity_id", "=", source.entity.id);
        if (feed !== undefined) q = q.where("feed", "=", `token:${feed}`);
        if (filter.after) q = q.where("max_at", ">", filter.after);
        if (filter.before) q = q.where("min_at", "<", filter.before);
        if (key) q = q.where("min_at", "<=", key.createdAt);
        if (source.last) q = q.where(segmentAfter(source.last));
        const segments = await q.orderBy("max_at", "desc").orderBy("feed", "desc").orderBy("first_seq", "desc").limit(batch).execute();
        for (const segment of segments) {
          for (const r of expandSegment(segment)) {
            if (matches(r, filter, key) && (!source.keep || source.keep(r)) && !(view && changedIn(r, view))) found.push(r);
          }
          // A segment is a few milliseconds of parsing: the unit after which an export or a long page lets others run.
          if (slicer?.due()) await slicer.turn();
        }
        examined += segments.length;
        const tail = segments[segments.length - 1];
        if (!tail || segments.length < batch) source.done = true;
        else {
          source.last = tail;
          if (bound === null || tail.max_at > bound) bound = tail.max_at;
        }
      }
      if (bound === null) break;
      const edge = bound;
      const certain = found.filter((r) => r.at > edge);
      if (certain.length >= limit) break;
      const frontier = justAtOrBefore(edge);
      if (examined >= MAX_SEGMENTS_PER_PAGE && (key === undefined || comesAfter(frontier, key))) {
        return { rows: certain.sort(newestFirst).slice(0, limit), frontier };
      }
      if (found.length > 4 * limit) found = found.sort(newestFirst).slice(0, limit);
      batch = Math.min(batch * 2, SEGMENTS_MAX);
      await slicer?.pause();
    }
    return { rows: found.sort(newestFirst).slice(0, limit) };
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
     * feeds, merged. Segments are read newest first, a few at a time, until the page is certain: every segment not
     * yet read ends before the events kept.
     */
    async page(filter: AuditFilter, page: PageRequest, slicer?: TimeSlicer): Promise<Page<AuditRow>> {
      const key = decodeCursor(page.cursor);
      const need = page.perPage + 1;
      const requested = await requests(filter, key, need, slicer);
      const frontier = requested.frontier;
      let rows = [...(await changes(filter, key, need)), ...requested.rows].sort(newestFirst);
      const keyOf = (r: AuditRow): Keyset => ({ createdAt: r.at, id: r.id });
      if (frontier) rows = rows.filter((r) => comesAfter(frontier, keyOf(r)));
      // Short of a page above the frontier: what there is, and the frontier as the cursor (the page may be empty).
      if (frontier && rows.length <= page.perPage) return { items: rows, hasNextPage: true, cursor: encodeCursor(frontier) };
      return toPage(rows.slice(0, need), page.perPage, keyOf);
    },

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
