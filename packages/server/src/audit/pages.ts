import { eventTypeMatches } from "@latchkey/core";
import { sql } from "kysely";
import { expandSegment } from "./segments.js";
import type { Executor } from "../store/database.js";
import { after, decodeCursor, encodeCursor, toPage, type Keyset, type Page, type PageRequest } from "../store/pagination.js";
import type { TimeSlicer } from "../lib/time-slices.js";
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

// Reading a feed a page at a time: change events from their table, request events from token feeds' segments.

/** Segments read at a time by a list: the first read is small (a page is usually in the newest segment), then more. */
const SEGMENTS_FIRST = 2;
const SEGMENTS_MAX = 32;
/** Segments one page may read before it answers with what it is sure of and a cursor to go on from (see `requests`). */
const MAX_SEGMENTS_PER_PAGE = 64;

/** Segments a list reads request events from: an entity's, and which of their events it keeps (all, by default). */
type RequestSource = { entity: AuditFilter["entity"]; keep?: (r: AuditRow) => boolean };

/** Pages of audit events, newest first, as lists and exports read them. */
export function createAuditPages(db: Executor) {
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

  /**
   * A page of events, newest first: change events from their table, request events from the segments of token
   * feeds, merged. Segments are read newest first, a few at a time, until the page is certain: every segment not
   * yet read ends before the events kept.
   */
  const page = async (filter: AuditFilter, request: PageRequest, slicer?: TimeSlicer): Promise<Page<AuditRow>> => {
    const key = decodeCursor(request.cursor);
    const need = request.perPage + 1;
    const requested = await requests(filter, key, need, slicer);
    const frontier = requested.frontier;
    let rows = [...(await changes(filter, key, need)), ...requested.rows].sort(newestFirst);
    const keyOf = (r: AuditRow): Keyset => ({ createdAt: r.at, id: r.id });
    if (frontier) rows = rows.filter((r) => comesAfter(frontier, keyOf(r)));
    // Short of a page above the frontier: what there is, and the frontier as the cursor (the page may be empty).
    if (frontier && rows.length <= request.perPage) return { items: rows, hasNextPage: true, cursor: encodeCursor(frontier) };
    return toPage(rows.slice(0, need), request.perPage, keyOf);
  };

  return { page };
}
