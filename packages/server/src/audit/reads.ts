import { DomainError } from "@latchkey/core";
import type { Store } from "../store/store.js";
import type { Principal } from "../access/principal.js";
import { createRateCounter, type RateDecision } from "../store/rate-counter.js";

/**
 * How much of the expensive audit reads (the chain check, JSON lines exports) one person and one process take. Each
 * reads a whole feed, and `team.audit.read` is in the lowest roles (issue 20, item 4).
 */
export const AUDIT_READ_LIMITS = {
  /** Per person (a console session, or any API token the person created) per window, across processes. */
  perWindow: 30,
  windowMs: 15 * 60_000,
  /** Running at once in this process: each runs in slices, and slices of more at once add up to a longer wait. */
  running: 2,
  /** Waiting for a place; more are refused (429) rather than held. */
  waiting: 8,
  /** Running or waiting at once for one person: one person cannot take every place. */
  perPerson: 2,
};

/** A place among the running reads: give it back once, when the read is over (or abandoned). */
export type Release = () => void;

const busy = (message: string) => new DomainError("RATE_LIMITED", message, { retryAfterSeconds: 1 });

/**
 * The gate in front of the expensive audit reads: a rate limit per person, shared by every process through the
 * store like the token limits (rate-counter.ts), and a cap on how many run at once in this process.
 */
export function createAuditReadGate(deps: { store: Store; nowMs: () => number; onError?: (error: unknown) => void }) {
  const limits = AUDIT_READ_LIMITS;
  const counter = createRateCounter({
    store: deps.store,
    prefix: "audit:",
    windowMs: limits.windowMs,
    now: deps.nowMs,
    ...(deps.onError ? { onError: deps.onError } : {}),
  });
  let running = 0;
  const queue: (() => void)[] = [];
  const perPerson = new Map<string, number>();

  const leave = (person: string) => {
    const n = (perPerson.get(person) ?? 1) - 1;
    if (n > 0) perPerson.set(person, n);
    else perPerson.delete(person);
  };

  return {
    /** Counts one read against the person's limit; the caller sends the decision's headers, then refuses it if not allowed. */
    take(principal: Principal): RateDecision {
      // Keyed by the person, not the credential: new tokens of one's own do not buy more reads.
      return counter.take(principal.userId, limits.perWindow);
    },
    /** The 429 for a refused decision. */
    refusal(decision: RateDecision): DomainError {
      return new DomainError("RATE_LIMITED", `rate limit of ${decision.limit} audit checks and exports per 15 minutes reached`, {
        retryAfterSeconds: Math.max(1, Math.ceil((decision.resetMs - deps.nowMs()) / 1000)),
      });
    },
    /**
     * Waits for a place to run; 429 at once when the person or the process already has as many as it may, unless
     * `queue` (the next page of an export under way, which waits its turn rather than break off).
     */
    async enter(principal: Principal, options: { queue?: boolean } = {}): Promise<Release> {
      const person = principal.userId;
      if (!options.queue && (perPerson.get(person) ?? 0) >= limits.perPerson) {
        throw busy(`you already have ${limits.perPerson} audit checks or exports under way; retry when one is done`);
      }
      if (!options.queue && running >= limits.running && queue.length >= limits.waiting) {
        throw busy("too many audit checks and exports are under way on this server; retry in a moment");
      }
      perPerson.set(person, (perPerson.get(person) ?? 0) + 1);
      if (running >= limits.running) await new Promise<void>((resolve) => queue.push(resolve));
      else running++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        leave(person);
        // The place passes to the next in line as it is (`running` unchanged), or is given back.
        const next = queue.shift();
        if (next) next();
        else running--;
      };
    },
    /** How many run and wait now (for tests and metrics). */
    load: () => ({ running, waiting: queue.length }),
    sync: () => counter.sync(),
    close: () => counter.close(),
  };
}

export type AuditReadGate = ReturnType<typeof createAuditReadGate>;
