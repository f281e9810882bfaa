import { z } from "zod";
import { IsoTime, pagedQuery } from "./common.js";

/** One audit event. Never holds a secret: tokens appear by id only. */
export const AuditEvent = z.object({
  id: z.string(),
  at: IsoTime,
  eventType: z.string(),
  actor: z.object({ type: z.enum(["user", "apiToken", "anonymous"]), id: z.string(), email: z.string().optional() }),
  tokenId: z.string().optional(),
  origin: z.enum(["api", "ui", "cli"]),
  outcome: z.enum(["allowed", "denied", "failed"]),
  status: z.number().int(),
  method: z.string(),
  path: z.string(),
  resource: z.object({ type: z.string().nullable(), id: z.string().nullable() }),
  ip: z.string(),
  userAgent: z.string(),
  durationMs: z.number().int().nullable(),
  details: z.record(z.string(), z.unknown()),
});

/** Filters of every audit feed, with cursor pagination; `format=jsonl` streams every match instead of a page. */
export const AuditQuery = pagedQuery({
  after: IsoTime.optional(),
  before: IsoTime.optional(),
  eventType: z.string().max(100).optional(),
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
