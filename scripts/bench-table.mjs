#!/usr/bin/env node
// The README's benchmark table, generated from bench/results/*.json (one row per record, see bench/record.mjs), so
// that the table says only what the recorded files say, with their commit, date and spread.
//   node scripts/bench-table.mjs            # rewrites the table between the README's bench-table markers
//   node scripts/bench-table.mjs --check    # exit 1 when the README's table differs from the files (CI, .ci/run)
// Either way a record that is not sound (its verdict or median does not follow from its rounds, a --quick run) stops
// it, and a record measured before later commits to packages/core or packages/server is named on stderr.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL, URL } from "node:url";
import { formatGoal, formatSpread, formatValue, problemsOf, shortCommit, UNKNOWN_COMMIT } from "../bench/record.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const START = "<!-- bench-table:start -->";
export const END = "<!-- bench-table:end -->";

/** Every record in `dir`, by file name; throws one error naming every file that is not a sound record. */
export function readRecords(dir) {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort();
  const errors = [];
  const records = [];
  for (const file of files) {
    let record;
    try {
      record = JSON.parse(readFileSync(join(dir, file), "utf8"));
    } catch (error) {
      errors.push(`${file}: not JSON (${error.message})`);
      continue;
    }
    const problems = problemsOf(record);
    if (record?.benchmark !== undefined && `${record.benchmark}.json` !== file) problems.push(`benchmark "${record.benchmark}" in ${file}`);
    if (problems.length > 0) errors.push(`${file}: ${problems.join("; ")}`);
    else records.push({ file, record });
  }
  if (errors.length > 0) throw new Error(`bench/results holds records that are not sound:\n  ${errors.join("\n  ")}`);
  return records;
}

const cell = (text) => String(text).replaceAll("|", "\\|").replaceAll("\n", " ");

/** The markdown table of the records (`link`: the folder the benchmark column links into). */
export function renderTable(records, link = "bench/results") {
  const rows = records.map(({ file, record: r }) =>
    [
      `[${cell(r.label)}](${link}/${file})`,
      formatValue(r.unit, r.median),
      formatSpread(r),
      formatGoal(r.unit, r.goal),
      r.verdict,
      shortCommit(r.commit),
      r.date.slice(0, 10),
    ].map(cell),
  );
  const head = ["benchmark (what is timed, against what)", "median", "spread (min–max, rounds)", "goal", "verdict", "commit", "date"];
  return [head, head.map(() => "---"), ...rows].map((row) => `| ${row.join(" | ")} |`).join("\n");
}

/** The README with `table` between the markers; throws when the markers are missing or out of order. */
export function withTable(readme, table) {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no "${START}" ... "${END}" markers (in that order)`);
  return `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`;
}

/** Records measured at a commit that later commits to the server's or core's sources followed (a note, not an error). */
function staleNotes(records) {
  const notes = [];
  for (const { file, record } of records) {
    if (record.commit === UNKNOWN_COMMIT) {
      notes.push(`${file}: recorded without its commit; re-run it to know what it measured`);
      continue;
    }
    const commit = record.commit.replace(/-dirty$/, "");
    try {
      const later = execFileSync("git", ["rev-list", "--count", `${commit}..HEAD`, "--", "packages/core/src", "packages/server/src"], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "ignore"],
      })
        .toString()
        .trim();
      if (later !== "0") notes.push(`${file}: ${later} commits to packages/core or packages/server since ${commit.slice(0, 10)}`);
    } catch {
      // a commit this clone does not have (a shallow CI checkout): nothing to say
    }
  }
  return notes;
}

/** Compares the README's table with the records: null when they match, else a message naming the lines that differ. */
export function tableDifference(readme, records) {
  const wanted = withTable(readme, renderTable(records));
  if (wanted === readme) return null;
  const have = readme.slice(readme.indexOf(START), readme.indexOf(END)).split("\n");
  const want = wanted.slice(wanted.indexOf(START), wanted.indexOf(END)).split("\n");
  const diff = [
    ...have.filter((l) => !want.includes(l)).map((l) => `- ${l}`),
    ...want.filter((l) => !have.includes(l)).map((l) => `+ ${l}`),
  ];
  return (
    "README.md's benchmark table differs from bench/results/*.json: run `node scripts/bench-table.mjs` and commit README.md\n" +
    diff.join("\n")
  );
}

function main() {
  const readmePath = join(ROOT, "README.md");
  const records = readRecords(join(ROOT, "bench", "results"));
  const readme = readFileSync(readmePath, "utf8");
  for (const note of staleNotes(records)) process.stderr.write(`note: ${note}\n`);
  if (process.argv.includes("--check")) {
    const difference = tableDifference(readme, records);
    if (difference) throw new Error(difference);
    process.stdout.write(`README.md's benchmark table matches bench/results (${records.length} records)\n`);
    return;
  }
  const wanted = withTable(readme, renderTable(records));
  if (wanted !== readme) writeFileSync(readmePath, wanted);
  process.stdout.write(
    `${wanted === readme ? "README.md's benchmark table is up to date" : "wrote README.md's benchmark table"} (${records.length} records)\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    main();
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
  }
}
