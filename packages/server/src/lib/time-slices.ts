import { setImmediate as nextTurn } from "node:timers/promises";

/** How long work done in slices may hold the event loop before it lets other callbacks (requests, timers) run. */
const SLICE_MS = 8;

/**
 * Long reads (a chain check, an export) run in slices of about `budgetMs`, with a turn of the event loop between
 * them. A SQLite query is synchronous, so a chain of awaits on it never reaches the event loop's I/O phase on its
 * own: without the turn, checking a large feed held every other request, `/healthz` included (issue 20, item 4).
 */
export function createTimeSlicer(budgetMs = SLICE_MS) {
  let started = performance.now();
  const due = (): boolean => performance.now() - started >= budgetMs;
  const turn = async (): Promise<void> => {
    await nextTurn();
    started = performance.now();
  };
  return {
    /** True once the slice has used its budget: cheap and synchronous, for tight loops that check it now and then. */
    due,
    /** Lets the event loop run once, and starts a new slice. */
    turn,
    /** Between units of work: a turn when the slice is used up, else nothing. */
    pause: (): Promise<void> => (due() ? turn() : Promise.resolve()),
  };
}

export type TimeSlicer = ReturnType<typeof createTimeSlicer>;
