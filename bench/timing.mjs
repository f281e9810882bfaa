// The benchmarks' timing: an interleaved candidate/baseline loop measured in CPU time, and its printout. Plain ESM.
import process from "node:process";
import { setImmediate } from "node:timers";
import { median } from "./record.mjs";

/** Somewhere for results to go, so that the optimiser cannot drop the work being measured. */
export let sink = 0;
export const consume = (v) => {
  sink = (sink + (typeof v === "string" ? v.length : v ? 1 : 0)) | 0;
};

const nowNs = () => process.hrtime.bigint();
/** Resolves after one turn of the event loop. */
export const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Iterations per batch so that one batch takes about `targetMs` (timer reads stay negligible). */
function calibrate(fn, targetMs = 5) {
  let n = 1;
  for (;;) {
    const t0 = nowNs();
    for (let i = 0; i < n; i++) fn();
    const ms = Number(nowNs() - t0) / 1e6;
    if (ms >= targetMs || n >= 1 << 24) return Math.max(1, Math.round((n * targetMs) / Math.max(ms, 1e-3)));
    n *= ms < targetMs / 10 ? 10 : 2;
  }
}

/** CPU time of this process so far. */
export const cpuNow = () => {
  const u = process.cpuUsage();
  return u.user + u.system; // microseconds, every thread of this process (GC helpers included)
};

/**
 * Runs a synchronous `fn` in batches for `ms` milliseconds of wall time. Returns operations per wall second and per
 * CPU second of this process: on a shared machine the second is not inflated by time spent descheduled.
 */
export function timeFor(fn, ms, batch) {
  let ops = 0;
  const start = nowNs();
  const cpu0 = cpuNow();
  const end = start + BigInt(Math.round(ms * 1e6));
  let t = start;
  while (t < end) {
    for (let i = 0; i < batch; i++) fn();
    ops += batch;
    t = nowNs();
  }
  const cpuUs = Math.max(cpuNow() - cpu0, 1);
  return { wall: ops / (Number(t - start) / 1e9), cpu: ops / (cpuUs / 1e6) };
}

/** As timeFor, for a function that returns a promise: one call at a time, each awaited (no batching). */
export async function timeForAsync(fn, ms) {
  let ops = 0;
  const start = nowNs();
  const cpu0 = cpuNow();
  const end = start + BigInt(Math.round(ms * 1e6));
  let t = start;
  while (t < end) {
    await fn();
    ops++;
    t = nowNs();
  }
  const cpuUs = Math.max(cpuNow() - cpu0, 1);
  return { wall: ops / (Number(t - start) / 1e9), cpu: ops / (cpuUs / 1e6) };
}

/**
 * Candidate against baseline in the same process, interleaved: `rounds` rounds, each timing both for `ms`, the
 * order swapped every round (ABBA...) so that drift (turbo, GC, other load) falls on both. Each round's value is
 * candidate / baseline in operations per CPU second of this process: its two measurements are adjacent in time, and
 * CPU time ignores time descheduled by other processes on a shared machine (the record takes the median over rounds).
 * The same figures in wall-clock time are reported beside it. `async: true` awaits every call of both sides.
 */
export async function compare({ name, candidate, baseline, rounds = 12, ms = 300, warmupMs = 500, async = false }) {
  const sides = [candidate, baseline];
  const time = async (fn, ms, batch) => (async ? timeForAsync(fn, ms) : timeFor(fn, ms, batch));
  for (const s of sides) {
    await s.fn(); // fail fast on a broken setup
    await time(s.fn, warmupMs, async ? 1 : calibrate(s.fn));
  }
  const batches = sides.map((s) => (async ? 1 : calibrate(s.fn)));
  const runs = [[], []];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      await tick(); // let timers (last-used flush, GC finalisers) run between measurements, not inside them
      runs[i].push(await time(sides[i].fn, ms, batches[i]));
    }
  }
  const side = (s, rs) => {
    const cpu = median(rs.map((r) => r.cpu));
    const wall = median(rs.map((r) => r.wall));
    return {
      label: s.label,
      opsPerCpuSec: Math.round(cpu),
      opsPerSec: Math.round(wall),
      nsPerOp: +(1e9 / cpu).toFixed(1),
      rounds: rs.map((r) => ({ cpu: Math.round(r.cpu), wall: Math.round(r.wall) })),
    };
  };
  const roundRatios = runs[0].map((x, i) => +(x.cpu / runs[1][i].cpu).toFixed(3));
  const wallRatios = runs[0].map((x, i) => +(x.wall / runs[1][i].wall).toFixed(3));
  return {
    name,
    candidate: side(candidate, runs[0]),
    baseline: side(baseline, runs[1]),
    roundRatios,
    wallRoundRatios: wallRatios,
    method:
      `${rounds} rounds of ${ms} ms per side, order alternating (ABBA), after ${warmupMs} ms warm-up each` +
      `${async ? ", every call awaited" : ""}; a round's value = candidate / baseline in operations per CPU second of this process (wallRoundRatios: the same in wall time)`,
  };
}

/** Times a synchronous fn alone (for breaking a hot path into its pieces): operations per CPU second. */
export function opsPerSec(fn, ms = 400) {
  fn();
  const batch = calibrate(fn);
  timeFor(fn, 150, batch);
  return Math.round(timeFor(fn, ms, batch).cpu);
}

/** A whole number with thousands separators: 12,345. */
export const fmt = (n) => Math.round(n).toLocaleString("en-US");

/** One readable block per comparison (the verdict is printed with the record: bench/lib.mjs writeResult). */
export function printComparison(r) {
  const w = Math.max(r.candidate.label.length, r.baseline.label.length);
  const line = (what, s) =>
    `  ${what}  ${s.label.padEnd(w)}  ${fmt(s.opsPerCpuSec).padStart(11)} ops/CPU-s  (${fmt(s.opsPerSec)} ops/s wall, ${s.nsPerOp} ns/op)\n`;
  process.stdout.write(
    `\n${r.name}\n` +
      line("candidate", r.candidate) +
      line("baseline ", r.baseline) +
      `  per-round ratios (CPU): ${r.roundRatios.join(" ")}\n  per-round ratios (wall): ${r.wallRoundRatios.join(" ")}\n`,
  );
}
