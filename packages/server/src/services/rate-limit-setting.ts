import { DomainError, type Resource } from "@latchkey/core";
import type { Principal } from "../access/principal.js";
import { authorize } from "../access/access.js";

/**
 * Guards a change of a team's or organisation's `rateLimitPerHour` (issue 20): the setting protects the server's
 * shared capacity, so it needs its own owner-only permission (`team.ratelimits.manage` / `org.ratelimits.manage`),
 * not the plain `*.update` every default member holds, and it never exceeds the operator's ceiling
 * (LATCHKEY_RATE_LIMIT_MAX_PER_HOUR). Lowering it or clearing it needs the permission too: a limit of 1 would shut
 * out every token of the team. The permission is checked first, so the ceiling is told only to those who may set it.
 */
export function assertRateLimitSettable(
  principal: Principal,
  scope: "team" | "org",
  resource: Resource,
  value: number | null | undefined,
  maxPerHour: number,
): void {
  if (value === undefined) return;
  authorize(principal, `${scope}.ratelimits.manage`, resource);
  if (value !== null && value > maxPerHour) {
    throw new DomainError("VALIDATION_FAILED", `rateLimitPerHour may be at most ${maxPerHour} here`, {
      fields: { rateLimitPerHour: `above the ceiling of ${maxPerHour} (LATCHKEY_RATE_LIMIT_MAX_PER_HOUR)` },
      maxPerHour,
    });
  }
}
