// A benchmark record: one file in bench/results per row of the README's table. Pure functions shared by the benchmarks
// (bench/lib.mjs writes records) and scripts/bench-table.mjs (reads, checks and tabulates them), so that a verdict is
// computed one way only and a file whose verdict does not follow from its own rounds is refused. Plain ESM.

/** What a record's `commit` says when the run predates records carrying one. */
export const UNKNOWN_COMMIT = "unknown (recorded before records carried commits)";

export const UNITS = ["ratio", "events/s", "ms", "µs"];
export const VERDICTS = ["pass", "fail", "no goal", "noise"];

/** The median of a non-empty list of numbers (the mean of the middle two for an even count). */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median, min and max of the rounds, as a record stores them. */
export function spreadOf(rounds) {
  if (!Array.isArray(rounds) || rounds.length === 0 || !rounds.every((v) => typeof v === "number" && Number.isFinite(v))) {
    throw new Error(`rounds must be a non-empty list of finite numbers, got ${JSON.stringify(rounds)}`);
  }
  // Rounded so that the mean of two middle rounds reads as 0.8375, not 0.8374999999999999 (the check recomputes it so).
  return { median: Math.round(median(rounds) * 1e6) / 1e6, min: Math.min(...rounds), max: Math.max(...rounds) };
}

/**
 * The verdict, from the median only (a single lucky round does not pass). A ratio that cannot exceed 1 by construction
 * (the candidate does strictly more work than its baseline) and comes out above 1 measured noise, not the code: it is
 * "noise" whatever its goal. A failed correctness check (a count, a hash chain, a non-2xx reply) is a "fail".
 */
export function verdictOf({ median: m, goal, boundedByOne, failedCheck }) {
  if (failedCheck) return "fail";
  if (boundedByOne && m > 1) return "noise";
  if (!goal) return "no goal";
  return (goal.op === ">=" ? m >= goal.value : m <= goal.value) ? "pass" : "fail";
}

/** Problems with a record read from a file (empty when it is sound): shape, and numbers that follow from its rounds. */
export function problemsOf(record) {
  const problems = [];
  const need = (ok, what) => {
    if (!ok) problems.push(what);
  };
  if (!record || typeof record !== "object") return ["not a JSON object"];
  need(typeof record.benchmark === "string" && /^[a-z0-9-]+$/.test(record.benchmark), "benchmark: a kebab-case name");
  need(typeof record.label === "string" && record.label.length > 0, "label: what exactly is timed, against what baseline");
  need(UNITS.includes(record.unit), `unit: one of ${UNITS.join(", ")}`);
  need(typeof record.commit === "string" && (/^[0-9a-f]{40}(-dirty)?$/.test(record.commit) || record.commit === UNKNOWN_COMMIT), "commit");
  need(typeof record.date === "string" && !Number.isNaN(Date.parse(record.date)), "date: ISO 8601");
  const m = record.machine;
  need(
    !!m &&
      typeof m.cpus?.model === "string" &&
      (Number.isInteger(m.cpus?.count) || m.cpus?.count === null) && // null: a converted record that did not say
      typeof m.node === "string" &&
      typeof m.os === "string",
    "machine: { cpus: { model, count }, node, os }",
  );
  need(
    record.goal === null ||
      (!!record.goal &&
        [">=", "<="].includes(record.goal.op) &&
        typeof record.goal.value === "number" &&
        Number.isFinite(record.goal.value)),
    'goal: null or { op: ">=" | "<=", value }',
  );
  need(typeof record.boundedByOne === "boolean", "boundedByOne: true or false");
  need(record.quick !== true, "a --quick run (few rounds) is no record: keep it out of bench/results");
  let spread;
  try {
    spread = spreadOf(record.rounds);
  } catch (error) {
    problems.push(`rounds: ${error.message}`);
    return problems;
  }
  for (const k of ["median", "min", "max"]) need(record[k] === spread[k], `${k}: ${record[k]} but the rounds give ${spread[k]}`);
  const verdict = verdictOf({ ...record, median: spread.median });
  need(record.verdict === verdict, `verdict: "${record.verdict}" but the median and goal give "${verdict}"`);
  return problems;
}

const thousands = (n) => Math.round(n).toLocaleString("en-US");

/** A value in its unit, as the table and the printouts show it. */
export function formatValue(unit, value) {
  if (unit === "ratio") return value.toFixed(3);
  if (unit === "ms") return `${+value.toFixed(2)} ms`;
  if (unit === "µs") return `${+value.toFixed(1)} µs`;
  return `${thousands(value)}/s`;
}

/** The goal, as the table shows it ("none" when there is none). */
export function formatGoal(unit, goal) {
  if (!goal) return "none";
  // A goal is shown as set (0.7, not 0.700).
  const value = unit === "ratio" ? String(goal.value) : formatValue(unit, goal.value);
  return `${goal.op === ">=" ? "≥" : "≤"} ${value}`;
}

/** min-max and the number of rounds. */
export function formatSpread(record) {
  const n = record.rounds.length;
  return `${formatValue(record.unit, record.min)}–${formatValue(record.unit, record.max)} (${n} round${n === 1 ? "" : "s"})`;
}

/** The commit as the table shows it: 10 hex digits (and -dirty), or "unknown". */
export function shortCommit(commit) {
  return commit === UNKNOWN_COMMIT ? "unknown" : commit.slice(0, 10) + (commit.endsWith("-dirty") ? "-dirty" : "");
}

/** One line for a benchmark's printout; only a record with a goal can say pass or fail. */
export function summaryLine(record) {
  const goal = record.goal ? `  goal ${formatGoal(record.unit, record.goal)}` : "";
  const why = record.verdict === "noise" ? " (a ratio that cannot exceed 1 did: measurement noise)" : "";
  return `${record.label}\n  median ${formatValue(record.unit, record.median)}  spread ${formatSpread(record)}${goal}  -> ${record.verdict.toUpperCase()}${why}${record.failedCheck ? `: ${record.failedCheck}` : ""}`;
}
