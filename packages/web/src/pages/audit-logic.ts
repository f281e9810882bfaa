import type { AuditFilters } from "@latchkey/sdk";

// The audit page's logic without React: filters in the address bar, times for people, a change as a diff.

/** The filters the page keeps in its address, in this order. */
const KEYS = ["eventType", "actor", "tokenId", "outcome", "origin", "after", "before"] as const;
const OUTCOMES = new Set(["allowed", "denied", "failed"]);
const ORIGINS = new Set(["api", "ui", "cli"]);
const MAX_TEXT = 254;

/** An ISO time, or undefined for anything that is not a time. */
const isoOf = (value: string | null): string | undefined => {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
};

/**
 * The filters an address holds (`?eventType=apiTokens&outcome=denied`): what a reload or a shared link shows again.
 * Values the API would refuse (an unknown outcome, a time that is none) are left out; a token's own feed takes no
 * `tokenId`.
 */
export function filtersFromQuery(query: URLSearchParams, tokenFeed: boolean): AuditFilters {
  const text = (key: string) => query.get(key)?.trim().slice(0, MAX_TEXT) || undefined;
  const outcome = query.get("outcome") ?? "";
  const origin = query.get("origin") ?? "";
  const filters: AuditFilters = {
    eventType: text("eventType"),
    actor: text("actor"),
    tokenId: tokenFeed ? undefined : text("tokenId"),
    outcome: OUTCOMES.has(outcome) ? (outcome as AuditFilters["outcome"]) : undefined,
    origin: ORIGINS.has(origin) ? (origin as AuditFilters["origin"]) : undefined,
    after: isoOf(query.get("after")),
    before: isoOf(query.get("before")),
  };
  return Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined));
}

/** The query string of a set of filters, `?...`, or "" for none: always the same string for the same filters. */
export function queryOf(filters: AuditFilters): string {
  const params = new URLSearchParams();
  for (const key of KEYS) {
    const value = filters[key];
    if (value) params.set(key, value);
  }
  const qs = params.toString();
  return qs ? `?${qs}` : "";
}

/** The filter form's fields: text, and times as a `datetime-local` input holds them (local time, to the minute). */
export type AuditForm = Record<(typeof KEYS)[number], string>;

const pad = (n: number) => String(n).padStart(2, "0");

/** `2026-03-02T11:05`, the local time of an ISO time, for a `datetime-local` input. */
export function toLocalInput(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The form for a set of filters. */
export function formOf(filters: AuditFilters): AuditForm {
  return {
    eventType: filters.eventType ?? "",
    actor: filters.actor ?? "",
    tokenId: filters.tokenId ?? "",
    outcome: filters.outcome ?? "",
    origin: filters.origin ?? "",
    after: toLocalInput(filters.after),
    before: toLocalInput(filters.before),
  };
}

/** The filters a filled form asks for (times read as local time, as the person typed them). */
export function filtersOfForm(form: AuditForm, tokenFeed: boolean): AuditFilters {
  const query = new URLSearchParams();
  for (const key of KEYS) {
    const value = form[key].trim();
    if (!value) continue;
    query.set(key, key === "after" || key === "before" ? new Date(value).toISOString() : value);
  }
  return filtersFromQuery(query, tokenFeed);
}

/** `2026-03-02 11:05:09 GMT+1`: the exact time in the viewer's zone (or `timeZone`), with the zone's name. */
export function absoluteTime(iso: string, timeZone?: string): string {
  const format = new Intl.DateTimeFormat("en-GB", {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short",
    ...(timeZone ? { timeZone } : {}),
  });
  const part = Object.fromEntries(format.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return `${part["year"]}-${part["month"]}-${part["day"]} ${part["hour"]}:${part["minute"]}:${part["second"]} ${part["timeZoneName"]}`;
}

/** One line of a change's diff: a field (`permissions.teamScope`), and its value before and after, as text. */
export interface DiffLine {
  field: string;
  before?: string;
  after?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every leaf of a value by its dotted path; lists are leaves (shown whole), objects are walked into. */
function leaves(value: unknown, path: string, into: Map<string, string>): void {
  if (isRecord(value) && Object.keys(value).length > 0) {
    for (const [key, v] of Object.entries(value)) leaves(v, path ? `${path}.${key}` : key, into);
  } else if (value !== undefined) {
    into.set(path || "(value)", typeof value === "string" ? value : JSON.stringify(value));
  }
}

/**
 * What a change did, field by field: the fields that differ between `before` and `after` (all of `after` for a
 * creation, all of `before` for a deletion), in the order they first appear.
 */
export function diffOf(before: unknown, after: unknown): DiffLine[] {
  const was = new Map<string, string>();
  const now = new Map<string, string>();
  leaves(before, "", was);
  leaves(after, "", now);
  const fields = [...new Set([...was.keys(), ...now.keys()])];
  return fields
    .filter((f) => was.get(f) !== now.get(f))
    .map((field) => ({
      field,
      ...(was.has(field) ? { before: was.get(field) } : {}),
      ...(now.has(field) ? { after: now.get(field) } : {}),
    }));
}

/** The before and after of a change event's details, or null for an event that records none (a request). */
export function changeOf(details: Record<string, unknown>): { before: unknown; after: unknown } | null {
  if (!("before" in details) && !("after" in details)) return null;
  return { before: details["before"], after: details["after"] };
}
