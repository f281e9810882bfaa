import { DomainError } from "@latchkey/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects, freshDatabase } from "../test-support/databases.js";
import { createInProcessFeed } from "../store/change-feed.js";
import { openDatabase, type Db } from "../store/database.js";
import { createStore, type Store } from "../store/store.js";
import { createThrottle, type Throttle } from "./throttle.js";

/**
 * The password throttle on its own, with a clock the test moves: the edges of its sliding window, what taking back a
 * successful attempt may and may not take back, and its shared counters in the store. The routes' tests
 * (security/throttle-bursts.test.ts, http/routes/session.test.ts) show it holding under real sign-ins.
 */
const WINDOW = 60_000;
/** A whole number of windows since the epoch, so that the store's fixed windows start with the test. */
const START = Date.UTC(2030, 0, 1);

function refusedFor(throttle: Throttle, keys: string[]): boolean {
  try {
    throttle.begin(keys);
    return false;
  } catch (error) {
    if (!(error instanceof DomainError) || error.code !== "RATE_LIMITED") throw error;
    expect(error.message).toBe("too many failed attempts; try again later");
    return true;
  }
}

describe.each(dialects())("password throttle (%s)", (kind) => {
  let db: Db;
  let store: Store;
  let drop: () => Promise<void>;
  let t = START;
  const clock = { now: () => new Date(t) };
  const made: Throttle[] = [];
  const throttle = (max: number, onError?: (error: unknown) => void): Throttle => {
    const created = createThrottle({ store, max, windowMs: WINDOW, now: clock.now, ...(onError ? { onError } : {}) });
    made.push(created);
    return created;
  };

  beforeAll(async () => {
    const fresh = await freshDatabase(kind);
    drop = fresh.drop;
    db = await openDatabase(
      fresh.url.startsWith("sqlite:") ? { kind: "sqlite", path: fresh.url.slice(7) } : { kind: "postgres", url: fresh.url },
    );
    store = createStore(db, createInProcessFeed());
  });
  afterAll(async () => {
    for (const each of made) await each.close();
    await db.close();
    await drop();
  });
  /** Each test starts at the beginning of a window of its own. */
  const nextWindow = () => {
    t = (Math.floor(t / WINDOW) + 10) * WINDOW;
  };

  it("a failure exactly one window old no longer counts", () => {
    nextWindow();
    const th = throttle(2);
    th.begin([`edge-${kind}`]);
    th.begin([`edge-${kind}`]);
    t += WINDOW - 1;
    expect(refusedFor(th, [`edge-${kind}`])).toBe(true);
    t += 1;
    expect(refusedFor(th, [`edge-${kind}`])).toBe(false);
  });

  it("a success takes back its own failure on the address, not another account's", () => {
    nextWindow();
    const th = throttle(2);
    th.begin(["a", "ip-1"]); // a wrong password for a
    t += 1;
    const right = th.begin(["b", "ip-1"]); // b's right password: its count on the address is taken back
    th.succeeded(right);
    t += 1;
    expect(refusedFor(th, ["c", "ip-1"])).toBe(false); // the address had one failure (a's), now two
    t += 1;
    expect(refusedFor(th, ["d", "ip-1"])).toBe(true);
  });

  it("taking back an attempt whose failure has left the window takes back nothing else", () => {
    nextWindow();
    const th = throttle(1);
    const slow = th.begin(["a", "ip-2"]);
    t += WINDOW + 1;
    th.begin(["b", "ip-2"]); // a failure of the new window
    th.succeeded(slow); // the old attempt turns out right: its failure is no longer there to take back
    expect(refusedFor(th, ["c", "ip-2"])).toBe(true);
  });

  it("taking back an attempt after every failure of its key has expired does not throw", () => {
    nextWindow();
    const th = throttle(1);
    const slow = th.begin(["a", "ip-3"]);
    t += WINDOW + 1;
    expect(th.retryAfterMs("ip-3")).toBe(0); // the expired failures are dropped here
    expect(() => th.succeeded(slow)).not.toThrow();
    expect(refusedFor(th, ["b", "ip-3"])).toBe(false);
  });

  // Memory is bounded under a flood of distinct keys (100,000 kept); the flood's counters are left in a past window
  // before closing, so that the shared counter has nothing left to send.
  it("remembers 100,000 keys and, past that, forgets the oldest", async () => {
    nextWindow();
    const th = throttle(1);
    t += WINDOW - 10; // late in a fixed window of the shared counter
    th.begin(["oldest"]);
    for (let i = 1; i < 100_000; i++) th.begin([`flood-${i}`]);
    t += 10; // the next fixed window: only the sliding window in memory still holds the failure
    expect(th.retryAfterMs("oldest")).toBe(WINDOW - 10);
    th.begin(["one more"]);
    expect(th.retryAfterMs("oldest")).toBe(0);
    t += 2 * WINDOW;
    await th.close();
  });

  it("drops a key whose failures have all expired: failing again, it is the newest key, not the oldest", async () => {
    nextWindow();
    const th = throttle(1);
    th.begin(["again"]);
    t += WINDOW / 2;
    th.begin(["middle"]);
    t += WINDOW; // "again" failed a window ago: its failure no longer counts
    expect(th.retryAfterMs("again")).toBe(0);
    th.begin(["again"]);
    for (let i = 2; i < 100_001; i++) th.begin([`fill-${i}`]); // the first key past 100,000 pushes the oldest out
    t += WINDOW / 2; // the next fixed window
    expect(th.retryAfterMs("again")).toBe(WINDOW / 2);
    t += 2 * WINDOW;
    await th.close();
  });

  it("shares its counts through the store under its own prefix, on sync and on close", async () => {
    nextWindow();
    const here = throttle(2);
    const there = throttle(2);
    here.begin(["shared-1"]);
    here.begin(["shared-1"]);
    await here.sync();
    const rows = await db.kysely.selectFrom("rate_limits").select(["key", "count"]).where("key", "like", "%shared-1").execute();
    expect(rows.map((r) => [r.key, Number(r.count)])).toEqual([["pw:shared-1", 2]]);
    expect(there.retryAfterMs("shared-1")).toBe(0); // not read yet: watched, and read at its next sync
    await there.sync();
    expect(there.retryAfterMs("shared-1")).toBeGreaterThan(0);

    const closing = throttle(2);
    closing.begin(["shared-2"]);
    closing.begin(["shared-2"]);
    await closing.close();
    expect(there.retryAfterMs("shared-2")).toBe(0);
    await there.sync();
    expect(there.retryAfterMs("shared-2")).toBeGreaterThan(0);
  });

  it("reports a store that cannot be written instead of losing the error", async () => {
    nextWindow();
    const fresh = await freshDatabase(kind);
    const other = await openDatabase(
      fresh.url.startsWith("sqlite:") ? { kind: "sqlite", path: fresh.url.slice(7) } : { kind: "postgres", url: fresh.url },
    );
    const errors: unknown[] = [];
    const th = createThrottle({
      store: createStore(other, createInProcessFeed()),
      max: 1,
      windowMs: WINDOW,
      now: clock.now,
      onError: (e) => errors.push(e),
    });
    await other.close();
    th.begin(["lost"]);
    await th.sync();
    expect(errors.length).toBeGreaterThan(0);
    expect(refusedFor(th, ["lost"])).toBe(true); // the count is kept here for the next round
    await fresh.drop();
  });
});
