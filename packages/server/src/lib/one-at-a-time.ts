/**
 * Runs `work` one call at a time, for background writes that send "everything so far" (last-used times, rate-limit
 * counts). A caller who finds a run under way waits for it and then runs again: that run may have left before what
 * the caller added, and a caller expects its own additions to be written when its promise resolves.
 */
export function oneAtATime(work: () => Promise<void>): { run: () => Promise<void>; busy: () => boolean } {
  let running: Promise<void> | null = null;
  return {
    run: async (): Promise<void> => {
      while (running) await running;
      running = work().finally(() => {
        running = null;
      });
      await running;
    },
    busy: () => running !== null,
  };
}
