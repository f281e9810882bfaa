import { DomainError } from "@latchkey/core";
import type { Config } from "../config.js";
import type { Store } from "../store/store.js";
import type { Principal } from "../access/principal.js";
import { createRateCounter, type RateDecision } from "../store/rate-counter.js";

const HOUR_MS = 3_600_000;
const ADDRESS_WINDOW_MS = 15 * 60_000;

const limited = (message: string, waitMs: number) =>
  new DomainError("RATE_LIMITED", message, { retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) });

/**
 * Rate limits: each API token's requests per hour (its team's or organisation's limit, else the server's), and
 * failed token authentications per address per quarter hour. Both are counted in memory and shared through the
 * store once a second, so they hold across processes.
 */
export function createRateLimits(deps: { store: Store; config: Config; nowMs: () => number; onError?: (error: unknown) => void }) {
  const { store, config } = deps;
  const now = deps.nowMs;
  const common = { store, now, ...(deps.onError ? { onError: deps.onError } : {}) };
  const tokens = createRateCounter({ ...common, prefix: "tok:", windowMs: HOUR_MS });
  const addresses = createRateCounter({ ...common, prefix: "ip:", windowMs: ADDRESS_WINDOW_MS });
  const maxFailures = config.rateLimit.authFailuresPerAddress;

  return {
    /** Before a bearer token is looked at: an address with too many failed authentications waits (429). */
    checkAddress(ip: string): void {
      const wait = addresses.retryAfterMs(ip, maxFailures);
      if (wait > 0) throw limited("too many failed authentications from this address; retry later", wait);
    },
    /** A bearer token was refused. */
    failed(ip: string): void {
      addresses.add(ip);
    },
    /** Counts a token's request; null for other credentials. The caller sends the decision's headers, then 429s. */
    take(principal: Principal): RateDecision | null {
      if (principal.kind !== "api" || !principal.tokenId) return null;
      return tokens.take(principal.tokenId, principal.rateLimitPerHour ?? config.rateLimit.perHour);
    },
    /** The 429 for a refused decision. */
    refusal(decision: RateDecision): DomainError {
      return limited(`rate limit of ${decision.limit} requests per hour reached for this token`, decision.resetMs - now());
    },
    /** Windows that ended long ago (housekeeping). */
    prune: () => store.rateLimits.prune(Math.floor(now() / 60_000) - 2 * 60),
    sync: () => Promise.all([tokens.sync(), addresses.sync()]),
    close: () => Promise.all([tokens.close(), addresses.close()]),
  };
}

export type RateLimits = ReturnType<typeof createRateLimits>;
