// scripts/bench-table.mjs: the README's benchmark table is what bench/results says, and CI's --check sees a
// difference. node:test (bench/ and scripts/ are plain ESM outside the workspaces). Run: npm run bench:test
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import process from "node:process";
import { describe, it } from "node:test";
import { fileURLToPath, URL } from "node:url";
import { END, readRecords, renderTable, START, tableDifference, withTable } from "../scripts/bench-table.mjs";
import { spreadOf, UNKNOWN_COMMIT, verdictOf } from "./record.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** A sound record. */
function record(benchmark, rounds, { goal = { op: ">=", value: 0.85 }, unit = "ratio", boundedByOne = true, ...over } = {}) {
  const spread = spreadOf(rounds);
  return {
    benchmark,
    label: `${benchmark} vs its baseline`,
    unit,
    commit: "b623192a402a278cc339a8f06548bd863ef5c148",
    date: "2026-11-30T00:11:18.333Z",
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

function withDir(files, fn) {
  const dir = mkdtempSync(join(os.tmpdir(), "latchkey-bench-table-test-"));
  try {
    for (const [name, body] of Object.entries(files))
      writeFileSync(join(dir, name), typeof body === "string" ? body : JSON.stringify(body));
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const README = `# X\n\n## Benchmarks\n\nprose\n\n${START}\nold table\n${END}\n\nmore prose\n`;

describe("bench-table", () => {
  it("shows each record's median, spread, goal, verdict, commit and date, by file name", () => {
    const records = withDir(
      {
        "audit-http.json": record("audit-http", [0.708, 0.834, 0.841, 1.034]),
        "audit-events-postgres.json": record("audit-events-postgres", [26_852], { goal: null, unit: "events/s", boundedByOne: false }),
        "revocation.json": record("revocation", [10.35, 12, 60], {
          goal: { op: "<=", value: 50 },
          unit: "ms",
          boundedByOne: false,
          commit: UNKNOWN_COMMIT,
        }),
        "notes.txt": "not a record",
      },
      readRecords,
    );
    assert.deepEqual(
      records.map((r) => r.file),
      ["audit-events-postgres.json", "audit-http.json", "revocation.json"],
    );
    const lines = renderTable(records).split("\n");
    assert.equal(lines.length, 5);
    assert.equal(
      lines[2],
      "| [audit-events-postgres vs its baseline](bench/results/audit-events-postgres.json) | 26,852/s | 26,852/s–26,852/s (1 round) | none | no goal | b623192a40 | 2026-11-30 |",
    );
    assert.equal(
      lines[3],
      "| [audit-http vs its baseline](bench/results/audit-http.json) | 0.838 | 0.708–1.034 (4 rounds) | ≥ 0.85 | fail | b623192a40 | 2026-11-30 |",
    );
    assert.equal(
      lines[4],
      "| [revocation vs its baseline](bench/results/revocation.json) | 12 ms | 10.35 ms–60 ms (3 rounds) | ≤ 50 ms | pass | unknown | 2026-11-30 |",
    );
  });

  it("refuses records whose verdict, median or name do not hold, naming each file", () => {
    const bad = {
      "a.json": record("a", [0.5, 0.6, 0.95], { verdict: "pass" }), // the best round clears 0.85, the median does not
      "b.json": record("b", [0.9, 1.2, 1.1], { verdict: "pass" }), // bounded by 1: noise
      "c.json": record("other", [0.9]),
      "d.json": "{ not json",
      "e.json": record("e", [0.9]),
    };
    assert.throws(
      () => withDir(bad, readRecords),
      (error) => {
        assert.match(error.message, /a\.json: verdict: "pass" but the median and goal give "fail"/);
        assert.match(error.message, /b\.json: verdict: "pass" but the median and goal give "noise"/);
        assert.match(error.message, /c\.json: benchmark "other"/);
        assert.match(error.message, /d\.json: not JSON/);
        assert.doesNotMatch(error.message, /e\.json/);
        return true;
      },
    );
  });

  it("puts the table between the markers and sees any hand edit of it", () => {
    const records = withDir({ "audit-http.json": record("audit-http", [0.8, 0.86, 0.9]) }, readRecords);
    const readme = withTable(README, renderTable(records));
    assert.match(readme, /^# X\n\n## Benchmarks\n\nprose\n\n<!-- bench-table:start -->\n\| benchmark/);
    assert.match(readme, /\| 0\.860 \| 0\.800–0\.900 \(3 rounds\) \| ≥ 0\.85 \| pass \|/);
    assert.ok(readme.endsWith(`${END}\n\nmore prose\n`));
    assert.equal(tableDifference(readme, records), null);

    const edited = readme.replace("| pass |", "| pass ✔ |");
    const message = tableDifference(edited, records);
    assert.match(message, /differs from bench\/results\/\*\.json: run `node scripts\/bench-table\.mjs`/);
    assert.match(message, /^- .*pass ✔/m);
    assert.match(message, /^\+ .*\| pass \|/m);
    assert.notEqual(tableDifference(README, records), null); // the old hand-written table
    assert.throws(() => withTable("# no markers\n", "t"), /no "<!-- bench-table:start -->"/);
  });

  it("finds this repository's README in step with bench/results (what CI checks)", () => {
    const run = spawnSync(process.execPath, [join(ROOT, "scripts", "bench-table.mjs"), "--check"], { cwd: ROOT, encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /matches bench\/results/);
  });
});
