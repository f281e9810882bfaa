import { z } from "zod";
import { IsoTime, pagedQuery } from "./common.js";

/** An event type or a prefix of one, segment by segment: `apiTokens`, `apiTokens.create`, `request`. */
export const AuditEventType = z
  .string()
  .max(100)
  .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, "an event type such as apiTokens or apiTokens.create");

/** True when an event's type is `filter` or lies under it, segment by segment (`apiTokens` holds `apiTokens.create`, not `apiTokensX`). */
export function eventTypeMatches(type: string, filter: string): boolean {
  return type === filter || (type.length > filter.length && type.charCodeAt(filter.length) === 46 /* . */ && type.startsWith(filter));
}

/** One audit event. Never holds a secret: tokens appear by id only. */
export const AuditEvent = z.object({
  id: z.string(),
  at: IsoTime,
  eventType: z.string(),
  entity: z
    .object({ type: z.enum(["team", "org"]), id: z.string() })
    .describe("whose log holds the event: an organisation's for its tokens' requests, shown in a team's feed too"),
  actor: z.object({
    type: z.enum(["user", "apiToken", "anonymous"]),
    id: z.string(),
    email: z.string().optional().describe("a person's address; for a token, the address of the person who created it"),
    name: z.string().optional().describe("the person's name, or the token's name, as they are now"),
  }),
  tokenId: z.string().optional(),
  origin: z.enum(["api", "ui", "cli"]),
  outcome: z.enum(["allowed", "denied", "failed"]),
  status: z.number().int(),
  method: z.string(),
  path: z.string(),
  resource: z.object({
    type: z.string().nullable(),
    id: z.string().nullable(),
    name: z.string().optional().describe("the resource's name as it is now, or as the change recorded it once it is gone"),
  }),
  ip: z.string(),
  userAgent: z.string(),
  durationMs: z.number().int().nullable(),
  details: z.record(z.string(), z.unknown()),
});

/** Filters of every audit feed, with cursor pagination; `format=jsonl` streams every match instead of a page. */
export const AuditQuery = pagedQuery({
  after: IsoTime.optional(),
  before: IsoTime.optional(),
  eventType: AuditEventType.optional().describe(
    "an event type (apiTokens.create) or a prefix of whole segments (apiTokens matches apiTokens.create, apiTokens.revoke...)",
  ),
  actor: z.string().max(254).optional(),
  tokenId: z.string().max(64).optional(),
  outcome: z.enum(["allowed", "denied", "failed"]).optional(),
  origin: z.enum(["api", "ui", "cli"]).optional(),
  resourceType: z.string().max(100).optional(),
  resourceId: z.string().max(100).optional(),
  format: z.enum(["json", "jsonl"]).default("json"),
});

/** `GET .../audit-logs/verify`. */
export const AuditVerification = z.object({ ok: z.boolean(), checked: z.number().int(), firstBrokenId: z.string().optional() });

/** Path of a team or organisation feed (for docs). */
