// `npm run mutation`: StrykerJS over the security core, one group of files at a time with the tests that guard them
// (stryker.config.mjs reads MUTATE and MUTATION_TESTS). Writes bench/results/mutation/summary.json (per file: killed,
// survived, no coverage, score) and prints the README's table. `--only NAME` runs one group; `--table` only prints
// the table of the last summary; `--recount` counts again from each group's last report (after editing the list of
// equivalent mutants); `--force` runs every mutant (by default a group's re-run is incremental: see stryker.config.mjs). Survivors judged equivalent (no test can tell them from the original) are listed
// with their reason in bench/mutation-equivalent.json and do not count against the score shown as "adjusted".
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { cpus } from "node:os";

const GROUPS = [
  { name: "rbac", mutate: ["packages/core/src/rbac.ts"], tests: ["packages/core/src/**/*.test.ts"] },
  {
    name: "audit chain",
    mutate: ["packages/server/src/audit/chain.ts", "packages/server/src/audit/verify.ts"],
    tests: [
      "packages/server/src/audit/**/*.test.ts",
      "packages/server/src/http/routes/audit*.test.ts",
      "packages/server/src/store/store.test.ts",
    ],
  },
  {
    name: "sessions and throttles",
    mutate: ["packages/server/src/services/sessions.ts", "packages/server/src/services/throttle.ts"],
    tests: [
      "packages/server/src/http/routes/session.test.ts",
      "packages/server/src/security/sessions.test.ts",
      "packages/server/src/security/throttle-bursts.test.ts",
      "packages/server/src/services/throttle.test.ts",
      "packages/server/src/services/sessions.test.ts",
    ],
  },
  {
    // The verifier's own tests (principal, memory and change events, each refusal at its millisecond, a key another
    // process made) and the race with a revocation. Not the route suites: every one of their tests authenticates, so
    // each mutant would run them all.
    name: "verifier",
    mutate: ["packages/server/src/tokens/verifier.ts"],
    tests: ["packages/server/src/tokens/verifier.test.ts", "packages/server/src/http/routes/tokens.revocation.test.ts"],
  },
  {
    // Every route passes through access.ts, so every route suite covers it, and each mutant would run them all. Its own
    // tests decide on a real store instead: reach and 404, 403 naming the permission or the restriction, team
    // deletion, coverage, a token's own team without a query, the entity a path or token names; and the router's
    // declared permissions.
    name: "access",
    mutate: ["packages/server/src/access/access.ts"],
    tests: ["packages/server/src/access/*.test.ts", "packages/server/src/http/route-permissions.test.ts"],
  },
  {
    // Minting rules, through the service on a clock of its own (services/tokens.test.ts: each rule at its boundary, what
    // is stored, signed and audited, who may act on which token; mint() for the token exchange), and the covering rule
    // from the attacker's side. Not the other token route suites: nearly every test of theirs mints, so each mutant
    // would run them all.
    name: "token minting",
    mutate: ["packages/server/src/services/tokens.ts"],
    tests: ["packages/server/src/services/tokens.test.ts", "packages/server/src/http/routes/tokens.covering.test.ts"],
  },
];

const OUT = "bench/results/mutation/summary.json";
const EQUIVALENT = "bench/mutation-equivalent.json";
const args = process.argv.slice(2);
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;

const pct = (n) => (Number.isFinite(n) ? `${(100 * n).toFixed(1)} %` : "—");

/** Counts of one file of Stryker's JSON report, and its survivors (file:line mutator). */
function countsOf(file, report, equivalent) {
  const mutants = report.files[file]?.mutants ?? [];
  const by = (status) => mutants.filter((m) => m.status === status);
  const open = [...by("Survived"), ...by("NoCoverage")].map((m) => ({
    where: `${file}:${m.location.start.line}:${m.location.start.column}`,
    mutator: m.mutatorName,
    status: m.status,
    replacement: m.replacement,
    equivalent: equivalent[`${file}:${m.location.start.line}:${m.location.start.column}`] ?? null,
  }));
  const detected = by("Killed").length + by("Timeout").length;
  const valid = detected + open.length;
  const explained = open.filter((o) => o.equivalent !== null).length;
  return {
    file,
    mutants: mutants.length,
    killed: by("Killed").length,
    timeout: by("Timeout").length,
    survived: by("Survived").length,
    noCoverage: by("NoCoverage").length,
    ignored: mutants.length - valid,
    score: valid === 0 ? null : detected / valid,
    adjustedScore: valid - explained === 0 ? null : detected / (valid - explained),
    open,
  };
}

function table(summary) {
  const rows = summary.files.map(
    (f) =>
      `| \`${f.file.replace(/^packages\//, "")}\` | ${f.mutants} | ${f.killed + f.timeout} | ${f.survived} | ${f.noCoverage} | ${pct(f.score)} | ${pct(f.adjustedScore)} |`,
  );
  const groups = Object.entries(summary.groups ?? {}).map(
    ([name, g]) => `${name} ${g.minutes} min${g.incremental ? " (incremental)" : ""} at ${g.commit.slice(0, 10)} on ${g.date.slice(0, 10)}`,
  );
  return [
    `Mutation score of the security core (commit ${summary.commit.slice(0, 10)}, ${summary.date.slice(0, 10)}, ${summary.minutes} min on ${summary.machine}):`,
    "",
    "| file | mutants | killed | survived | no coverage | score | without equivalent mutants |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
    ...(groups.length === 0 ? [] : ["", `Last run of each group: ${groups.join("; ")}.`]),
  ].join("\n");
}

if (args.includes("--table")) {
  process.stdout.write(`${table(JSON.parse(readFileSync(OUT, "utf8")))}\n`);
  process.exit(0);
}

const equivalent = existsSync(EQUIVALENT) ? JSON.parse(readFileSync(EQUIVALENT, "utf8")) : {};
const previous = existsSync(OUT) ? JSON.parse(readFileSync(OUT, "utf8")) : { files: [] };
const started = Date.now();
const files = new Map(previous.files.map((f) => [f.file, f]));
const groups = { ...previous.groups };
const recount = args.includes("--recount");
const reportOf = (group) => `reports/mutation/${group.name.replaceAll(" ", "-")}.json`;
const commit = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
for (const group of GROUPS) {
  if (only !== undefined && group.name !== only) continue;
  if (recount) {
    // Counts again from the group's last report, with the equivalent mutants as listed now (no Stryker run).
    if (!existsSync(reportOf(group))) continue;
    const report = JSON.parse(readFileSync(reportOf(group), "utf8"));
    for (const file of group.mutate) files.set(file, countsOf(file, report, equivalent));
    continue;
  }
  process.stdout.write(`== ${group.name}: ${group.mutate.join(", ")}\n`);
  const groupStarted = Date.now();
  const incrementalFile = `reports/mutation/incremental-${group.name.replaceAll(" ", "-")}.json`;
  const incremental = existsSync(incrementalFile) && !args.includes("--force");
  const run = spawnSync("npx", ["stryker", "run"], {
    stdio: "inherit",
    env: {
      ...process.env,
      MUTATE: group.mutate.join(","),
      MUTATION_TESTS: group.tests.join(","),
      MUTATION_INCREMENTAL: incrementalFile,
      MUTATION_FORCE: args.includes("--force") ? "1" : "",
      // The PostgreSQL twins of each suite assert the same things: leaving them out halves the time.
      LATCHKEY_TEST_POSTGRES_URL: "postgres://nobody@127.0.0.1:1/none",
      CI: "",
    },
  });
  if (run.status !== 0) {
    process.stderr.write(`stryker failed for ${group.name} (exit ${run.status})\n`);
    process.exit(1);
  }
  const text = readFileSync("reports/mutation/mutation.json", "utf8");
  writeFileSync(reportOf(group), text);
  const report = JSON.parse(text);
  for (const file of group.mutate) files.set(file, countsOf(file, report, equivalent));
  groups[group.name] = { commit, date: new Date().toISOString(), minutes: Math.round((Date.now() - groupStarted) / 60_000), incremental };
}
const summary = {
  commit: recount ? previous.commit : commit,
  date: recount ? previous.date : new Date().toISOString(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}`,
  minutes: recount ? previous.minutes : Math.round((Date.now() - started) / 60_000),
  groups,
  files: [...files.values()],
};
mkdirSync("bench/results/mutation", { recursive: true });
writeFileSync(OUT, `${JSON.stringify(summary, null, 2)}\n`);
process.stdout.write(`\n${table(summary)}\n`);
