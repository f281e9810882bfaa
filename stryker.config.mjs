// Mutation testing of the security core (issue 22): `npm run mutation`. Each mutant is a small deliberate breakage of
// the code (a condition flipped, a check removed); a mutant the tests do not notice "survives". PostgreSQL suites are
// left out (their SQLite twins run the same assertions), which halves the time; see README "Mutation testing".
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts", related: false },
  coverageAnalysis: "perTest",
  mutate: (process.env.MUTATE ?? "packages/core/src/rbac.ts").split(","),
  ignoreStatic: true,
  concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 2),
  timeoutMS: 30_000,
  reporters: ["clear-text", "progress", "json", "html"],
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  // Incremental (issue 22): a re-run tests again only the mutants whose code or covering tests changed since the
  // last run of the same group (its file is named by scripts/mutation.mjs; `npm run mutation -- --force` runs all).
  incremental: true,
  incrementalFile: process.env.MUTATION_INCREMENTAL ?? "reports/stryker-incremental.json",
  force: process.env.MUTATION_FORCE === "1",
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};
