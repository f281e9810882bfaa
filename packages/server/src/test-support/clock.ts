/**
 * A clock for the harness's `now` option: real time plus whatever a test has moved it on by, so that suites sharing
 * one server keep working while a test jumps past an expiry instead of waiting for it. `freeze` holds it still at an
 * instant (to look at both sides of a boundary); `thaw` lets it run on from there. It never runs backwards.
 */
export interface TestClock {
  now: () => Date;
  /** Moves the clock on by `ms`. */
  advance(ms: number): void;
  /** Holds the clock at `at` (an instant not before the current time) until `thaw`. */
  freeze(at: Date | string | number): void;
  /** Lets a frozen clock run on from where it stands. */
  thaw(): void;
  /** An ISO time `s` seconds from the clock's now. */
  inSeconds(s: number): string;
}

export function createTestClock(): TestClock {
  let skewMs = 0;
  let frozenMs: number | null = null;
  const ms = () => frozenMs ?? Date.now() + skewMs;
  return {
    now: () => new Date(ms()),
    advance(by) {
      if (by < 0) throw new Error("the test clock does not run backwards");
      if (frozenMs !== null) frozenMs += by;
      else skewMs += by;
    },
    freeze(at) {
      const target = typeof at === "number" ? at : typeof at === "string" ? Date.parse(at) : at.getTime();
      if (target < ms()) throw new Error(`the test clock does not run backwards (to ${new Date(target).toISOString()})`);
      frozenMs = target;
    },
    thaw() {
      if (frozenMs === null) return;
      skewMs = frozenMs - Date.now();
      frozenMs = null;
    },
    inSeconds: (s) => new Date(ms() + s * 1000).toISOString(),
  };
}
