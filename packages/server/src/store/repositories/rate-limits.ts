import type { Executor } from "../database.js";
import type { RateLimitsTable } from "../schema.js";

/** The counters every process adds its requests to. */
export function createRateLimitsRepository(db: Executor) {
  return {
    /** Adds each row's count to its window (a count of 0 only reads it); returns every window's total. */
    add: (rows: RateLimitsTable[]) =>
      db
        .insertInto("rate_limits")
        .values(rows)
        .onConflict((oc) =>
          oc.columns(["key", "window_minute"]).doUpdateSet((eb) => ({ count: eb("rate_limits.count", "+", eb.ref("excluded.count")) })),
        )
        .returning(["key", "window_minute", "count"])
        .execute(),
    /** Forgets windows that started before `minute`. */
    prune: (minute: number) => db.deleteFrom("rate_limits").where("window_minute", "<", minute).execute(),
  };
}
