// The rules of a benchmark record (bench/record.mjs) and its writer (bench/lib.mjs writeResult). node:test, not
// vitest: bench/ is plain ESM outside the workspaces. Run: npm run bench:test
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import process from "node:process";
import { describe, it } from "node:test";
import { fileURLToPath, URL } from "node:url";
import { formatGoal, problemsOf, spreadOf, summaryLine, UNKNOWN_COMMIT, verdictOf } from "./record.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const atLeast = (value) => ({ op: ">=", value });
const atMost = (value) => ({ op: "<=", value });
const verdict = (rounds, goal, boundedByOne = false, failedCheck) => verdictOf({ ...spreadOf(rounds), goal, boundedByOne, failedCheck });

/** A sound record of `rounds`, with `over` replacing any field. */
function recordOf(rounds, over = {}) {
  const goal = over.goal === undefined ? atLeast(0.6) : over.goal;
  const boundedByOne = over.boundedByOne ?? true;
  const spread = spreadOf(rounds);
  return {
    benchmark: "http-audited",
    label: "GET /v1/projects vs GET /healthz",
    unit: "ratio",
    commit: "0123456789abcdef0123456789abcdef01234567",
    date: "2026-12-01T10:00:00.000Z",
    machine: { cpus: { model: "Test CPU", count: 2 }, node: "v20.20.2", os: "linux x64" },
    rounds,
    ...spread,
    goal,
    boundedByOne,
    verdict: verdictOf({ ...spread, goal, boundedByOne }),
    method: "test",
    details: {},
    ...over,
  };
}

describe("formatGoal", () => {
  it("shows none for a record of any unit without a goal (a latency in ms with no goal broke the table)", () => {
    for (const unit of ["ratio", "ms", "µs", "ops/s"]) assert.equal(formatGoal(unit, null), "none");
    assert.equal(formatGoal("ms", { op: "<=", value: 50 }), "≤ 50 ms");
    assert.equal(formatGoal("ratio", { op: ">=", value: 0.7 }), "≥ 0.7");
  });
});

describe("verdict", () => {
  it("passes only when the median clears the goal, not the best round", () => {
    assert.equal(verdict([0.5, 0.55, 0.9], atLeast(0.6)), "fail");
    assert.equal(verdict([0.5, 0.65, 0.9], atLeast(0.6)), "pass");
    assert.equal(verdict([0.6, 0.6], atLeast(0.6)), "pass"); // "at least" includes the goal itself
    assert.equal(verdict([9, 60, 70], atMost(50)), "fail");
    assert.equal(verdict([9, 12, 70], atMost(50)), "pass");
  });

  it("takes the mean of the middle two rounds for an even count", () => {
    assert.equal(spreadOf([0.5, 0.7, 0.8, 0.9]).median, 0.75);
    assert.equal(verdict([0.5, 0.58, 0.61, 0.9], atLeast(0.6)), "fail"); // median 0.595
  });

  it("calls a bounded ratio whose median exceeds 1 noise, whatever its goal", () => {
    assert.equal(verdict([0.9, 1.1, 1.2], atLeast(0.8), true), "noise");
    assert.equal(verdict([0.9, 1.1, 1.2], null, true), "noise");
    assert.equal(verdict([0.9, 1.1, 1.2], atLeast(0.8), false), "pass"); // not bounded: a real speed-up
    assert.equal(verdict([0.7, 0.9, 1.3], atLeast(0.8), true), "pass"); // one noisy round is in the spread, not the verdict
  });

  it("gives no pass to a row without a goal", () => {
    assert.equal(verdict([26_852], null), "no goal");
    const line = summaryLine(recordOf([26_852], { goal: null, boundedByOne: false, unit: "events/s" }));
    assert.doesNotMatch(line, /PASS|FAIL/);
    assert.match(line, /NO GOAL/);
  });

  it("fails a run whose correctness check failed, however fast", () => {
    assert.equal(verdict([200_000], atLeast(50_000), false, "chain broken"), "fail");
  });
});

describe("problemsOf", () => {
  it("accepts a sound record, a -dirty commit and the unknown commit of a converted one", () => {
    assert.deepEqual(problemsOf(recordOf([0.5, 0.65, 0.9])), []);
    assert.deepEqual(problemsOf(recordOf([0.5], { commit: `${"a".repeat(40)}-dirty` })), []);
    assert.deepEqual(problemsOf(recordOf([0.5], { commit: UNKNOWN_COMMIT })), []);
  });

  it("refuses a verdict, median or spread that does not follow from the rounds", () => {
    assert.match(problemsOf(recordOf([0.5, 0.55, 0.9], { verdict: "pass" })).join(), /verdict: "pass" but .* give "fail"/);
    assert.match(problemsOf(recordOf([0.5, 0.55, 0.9], { median: 0.9 })).join(), /median/);
    assert.match(problemsOf(recordOf([0.5, 0.55, 0.9], { min: 0.55 })).join(), /min/);
    assert.match(problemsOf(recordOf([0.9, 1.2, 1.1], { verdict: "pass" })).join(), /give "noise"/);
  });

  it("refuses a record without commit, date, machine or rounds, and a quick run", () => {
    assert.match(problemsOf(recordOf([0.7], { commit: undefined })).join(), /commit/);
    assert.match(problemsOf(recordOf([0.7], { commit: "HEAD" })).join(), /commit/);
    assert.match(problemsOf(recordOf([0.7], { date: "yesterday" })).join(), /date/);
    assert.match(problemsOf(recordOf([0.7], { machine: { node: "v20" } })).join(), /machine/);
    assert.match(problemsOf(recordOf([0.7], { rounds: [] })).join(), /rounds/);
    assert.match(problemsOf(recordOf([0.7], { quick: true })).join(), /quick/);
    assert.match(problemsOf(recordOf([0.7], { goal: { op: ">", value: 1 } })).join(), /goal/);
  });
});

describe("writeResult (bench/lib.mjs)", () => {
  const write = (env) =>
    spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { writeResult } from ${JSON.stringify(join(ROOT, "bench", "lib.mjs"))};
         writeResult({ benchmark: "probe", label: "probe vs nothing", unit: "ratio", rounds: [0.5, 0.9, 0.7],
           goal: { op: ">=", value: 0.6 }, boundedByOne: true, method: "test" });`,
      ],
      { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, encoding: "utf8" },
    );

  it("writes the commit measured, the date, the machine, the spread and the verdict", () => {
    const dir = mkdtempSync(join(os.tmpdir(), "latchkey-record-test-"));
    try {
      const run = write({ BENCH_RESULTS_DIR: dir });
      assert.equal(run.status, 0, run.stderr);
      const record = JSON.parse(readFileSync(join(dir, "probe.json"), "utf8"));
      assert.deepEqual(problemsOf(record), []);
      const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT }).toString().trim();
      assert.match(record.commit, new RegExp(`^${head}(-dirty)?$`));
      assert.ok(Date.now() - Date.parse(record.date) < 60_000);
      assert.equal(record.machine.cpus.count, os.cpus().length);
      assert.deepEqual([record.median, record.min, record.max, record.verdict], [0.7, 0.5, 0.9, "pass"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("marks the commit -dirty when the work tree differs from it", () => {
    const dir = mkdtempSync(join(os.tmpdir(), "latchkey-record-test-"));
    const stray = join(ROOT, "bench", `dirty-probe-${process.pid}.tmp`); // an untracked file: a change git reports
    try {
      writeFileSync(stray, "");
      const run = write({ BENCH_RESULTS_DIR: dir });
      assert.equal(run.status, 0, run.stderr);
      assert.match(JSON.parse(readFileSync(join(dir, "probe.json"), "utf8")).commit, /^[0-9a-f]{40}-dirty$/);
    } finally {
      rmSync(stray, { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Only on a clean tree (CI): `npm run bench` writes records one benchmark after another, and the later ones measured
  // the same code as the first.
  const clean = execFileSync("git", ["status", "--porcelain"], { cwd: ROOT }).toString() === "";
  it("does not count records in bench/results as changes to the code", { skip: clean ? false : "the work tree has changes" }, () => {
    const dir = mkdtempSync(join(os.tmpdir(), "latchkey-record-test-"));
    const earlier = join(ROOT, "bench", "results", `earlier-${process.pid}.json`);
    try {
      writeFileSync(earlier, "{}");
      const run = write({ BENCH_RESULTS_DIR: dir });
      assert.equal(run.status, 0, run.stderr);
      assert.match(JSON.parse(readFileSync(join(dir, "probe.json"), "utf8")).commit, /^[0-9a-f]{40}$/);
    } finally {
      rmSync(earlier, { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("never lets a quick run write into bench/results", () => {
    const before = readdirSync(join(ROOT, "bench", "results"));
    try {
      const run = write({ BENCH_QUICK: "1", BENCH_RESULTS_DIR: join(ROOT, "bench", "results") });
      assert.notEqual(run.status, 0);
      assert.match(run.stderr, /--quick run does not write to bench\/results/);
      assert.deepEqual(readdirSync(join(ROOT, "bench", "results")), before);
    } finally {
      if (!before.includes("probe.json")) rmSync(join(ROOT, "bench", "results", "probe.json"), { force: true });
    }
  });

  it("sends a quick run's record to a temp dir, marked quick", () => {
    const run = write({ BENCH_QUICK: "1" });
    assert.equal(run.status, 0, run.stderr);
    const file = /wrote (\S+probe\.json)/.exec(run.stdout)?.[1];
    assert.ok(file && !file.startsWith(join(ROOT, "bench")), run.stdout);
    const record = JSON.parse(readFileSync(file, "utf8"));
    rmSync(join(file, ".."), { recursive: true, force: true });
    assert.equal(record.quick, true);
    assert.match(problemsOf(record).join(), /quick/);
  });
});
