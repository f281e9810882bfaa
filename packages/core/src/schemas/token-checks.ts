import { z } from "zod";
import { IP_MAX_LENGTH, parseIp } from "../cidr.js";

/** A permission name a door may be asked about: a catalogue id (`project.read`) or an API's (`billing:invoices.read`). */
export const PermissionName = z.string().min(1).max(200);

/** A token as presented (a Latchkey JWT is far shorter; anything longer is refused as input, not checked). */
export const PresentedToken = z.string().min(1).max(8192);

/** A client's address as the asking service saw it: IPv4 or IPv6 (a zone is ignored), never a CIDR block. */
export const ClientIp = z
  .string()
  .max(IP_MAX_LENGTH)
  .refine((v) => parseIp(v) !== null, "not an IPv4 or IPv6 address");

/** `POST /v1/auth/check`; with `ip`, a token whose allow-list excludes it is IP_NOT_ALLOWED. */
export const TokenCheckRequest = z.strictObject({
  token: PresentedToken,
  permissions: z.array(PermissionName).max(32).optional(),
  ip: ClientIp.optional(),
});

/** What a check says (API.md "Checking tokens for other services"). */
export const TokenCheckCode = z.enum([
  "VALID",
  "NOT_FOUND",
  "EXPIRED",
  "REVOKED",
  "INSUFFICIENT_PERMISSIONS",
  "RATE_LIMITED",
  "IP_NOT_ALLOWED",
]);

/** `POST /v1/auth/check` reply (`data`): always 200, the answer in `code`. */
export const TokenCheckResult = z.object({
  valid: z.boolean(),
  code: TokenCheckCode,
  token: z
    .object({
      id: z.string(),
      name: z.string(),
      entityType: z.enum(["team", "org"]),
      entityId: z.string(),
      orgId: z.string().optional(),
      role: z.object({ id: z.string(), name: z.string(), type: z.enum(["team", "org"]) }),
      expiresAt: z.string().nullable(),
      /** The token's IP allow-list (empty: any address), for verifiers that decide later requests from memory. */
      allowedIps: z.array(z.string()),
    })
    .optional(),
  permissions: z.array(z.string()).optional(),
  missing: z.array(z.string()).optional(),
  ratelimit: z.object({ limit: z.number(), remaining: z.number(), reset: z.number() }).optional(),
});
export type TokenCheckResult = z.infer<typeof TokenCheckResult>;

/** What `GET /v1/auth/events` streams (API.md "Event stream for verifiers in other processes"): one SSE `data` line. */
export const AuthEventType = z.enum([
  "token.revoked",
  "token.keys",
  "token.updated",
  "role.updated",
  "role.deleted",
  "api.updated",
  "signing-key.deleted",
  "member.removed",
  "reset",
]);
export type AuthEventType = z.infer<typeof AuthEventType>;
export const AuthEvent = z.object({
  type: AuthEventType,
  tokenId: z.string().optional(),
  roleId: z.string().optional(),
  entityType: z.enum(["team", "org"]).optional(),
  entityId: z.string().optional(),
  /** `member.removed`: who left `entityType`/`entityId` (the tokens they created there keep working). */
  userId: z.string().optional(),
});
export type AuthEvent = z.infer<typeof AuthEvent>;
