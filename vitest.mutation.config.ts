import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

// The suites that mutation testing runs (stryker.config.mjs): the tests of the files being mutated, not the
// end-to-end suites, which start real processes from the built code that Stryker's mutants never reach. (Not
// mergeConfig: it would append to the base config's `include` instead of replacing it.)
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: (process.env["MUTATION_TESTS"] ?? "packages/core/src/**/*.test.ts").split(","),
  },
});
