import { eventTypeMatches } from "@latchkey/core";
import { sql, type Expression, type SqlBool } from "kysely";
import type { Keyset } from "../store/pagination.js";
import type { AuditEventsTable, AuditSegmentsTable, EntityType } from "../store/schema.js";

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
  /** A type or a prefix of one, segment by segment (`apiTokens` holds `apiTokens.create`). */
  eventType?: string;
  actor?: string;
  outcome?: string;
  origin?: string;
  resourceType?: string;
  resourceId?: string;
  /** A team's feed: also the requests its organisation's tokens made against it (`/v1/teams/<teamId>/...`). */
  orgRequests?: { orgId: string; teamId: string };
}

/** The event type of a request made with a token; the doors that check tokens for others record `auth.<door>`. */
export const REQUEST_EVENT = "request";
const DOOR_EVENTS = "auth";

/**
 * False when no event of a token feed can have a type the filter asks for (`apiTokens`, `roles.update`): the
 * segments need not be read at all. Change events never use `request` or `auth.*`.
 */
export const mayBeRequest = (eventType: string): boolean =>
  eventTypeMatches(REQUEST_EVENT, eventType) || eventTypeMatches(eventType, DOOR_EVENTS);

const TEAM_PATH = "/v1/teams/";

/** The team a request's path names (`/v1/teams/acme/projects` -> acme), decoded as the router decodes it; or null. */
export function teamOfPath(path: string): string | null {
  if (!path.startsWith(TEAM_PATH)) return null;
  const end = path.indexOf("/", TEAM_PATH.length);
  try {
    return decodeURIComponent(path.slice(TEAM_PATH.length, end === -1 ? undefined : end)) || null;
  } catch {
    return null;
  }
}

/**
 * True for a request that recorded changes in `feed` (its event's `details.changes`): there its change events stand
 * for it, one row per change, and the request itself is not listed again.
 */
export function changedIn(r: AuditRow, feed: string): boolean {
  if (r.event_type !== REQUEST_EVENT || r.details.length <= 2) return false;
  const changes = (JSON.parse(r.details) as { changes?: unknown }).changes;
  return Array.isArray(changes) && changes.includes(feed);
}

// The order audit lists are read in, and where a page of them may stop (see the audit repository's `page`).

/** Newest first, as lists are: by time, then id. */
export const newestFirst = (a: AuditRow, b: AuditRow): number =>
  a.at === b.at ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.at < b.at ? 1 : -1;

/** The request events of a segment that a filter keeps (the segment-level conditions were asked of the store). */
export function matches(r: AuditRow, f: AuditFilter, key: Keyset | undefined): boolean {
  return (
    (f.after === undefined || r.at > f.after) &&
    (f.before === undefined || r.at < f.before) &&
    (f.eventType === undefined || eventTypeMatches(r.event_type, f.eventType)) &&
    (f.actor === undefined || r.actor_id === f.actor || r.actor_email === f.actor) &&
    (f.outcome === undefined || r.outcome === f.outcome) &&
    (f.origin === undefined || r.origin === f.origin) &&
    (f.resourceType === undefined || r.resource_type === f.resourceType) &&
    (f.resourceId === undefined || r.resource_id === f.resourceId) &&
    (key === undefined || r.at < key.createdAt || (r.at === key.createdAt && r.id < key.id))
  );
}

/** True when `a` comes after `b` in newest-first order (is older). */
export const comesAfter = (a: Keyset, b: Keyset): boolean => a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.id < b.id);

/**
 * The cursor key that every event at or before `at` comes after, and no later one: "before the next millisecond,
 * with any id" (times are stored as toISOString writes them, to the millisecond; no id is below "").
 */
export const justAtOrBefore = (at: string): Keyset => ({ createdAt: new Date(Date.parse(at) + 1).toISOString(), id: "" });

export type SegmentKey = Pick<AuditSegmentsTable, "max_at" | "feed" | "first_seq">;

/** "Comes after `k`" in the order segments are listed: max_at, feed, first_seq, all descending. */
export function segmentAfter(k: SegmentKey): Expression<SqlBool> {
  return sql<SqlBool>`(max_at < ${k.max_at} or (max_at = ${k.max_at} and (feed < ${k.feed} or (feed = ${k.feed} and first_seq < ${k.first_seq}))))`;
}
