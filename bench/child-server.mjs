// The HTTP benchmarks' servers run in a child process, autocannon in the parent, so that the load and the server do
// not share a thread. The child answers the parent's messages ("cpu", "stop", and any of its own); the parent forks
// it, times routes against it with autocannon and stops it. Plain ESM.
import { fork } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import process from "node:process";
import { clearTimeout, setTimeout } from "node:timers";
import { drainLog, QUICK, roundCount, SERVER_NODE_FLAGS } from "./lib.mjs";
import { cpuNow } from "./timing.mjs";

// ---------------------------------------------------------------------------------------------------------------
// In the child

/**
 * Serves the parent: "cpu" is answered with this process's CPU time so far (µs, every thread), "stop" by running
 * `stop` (what it returns goes with the reply) and exiting, any message named in `answers` with what its function
 * returns. Then sends `ready`, the parent's `ready`.
 */
export function answerParent(ready, { stop, answers = {} }) {
  process.on("message", async (message) => {
    if (message === "cpu") {
      process.send?.({ cpuUs: cpuNow() });
    } else if (message === "stop") {
      const reply = (await stop()) ?? {};
      process.send?.({ stopped: true, ...reply }, () => process.exit(0));
    } else if (Object.hasOwn(answers, message)) {
      process.send?.(await answers[message]());
    }
  });
  process.send?.(ready);
}

// ---------------------------------------------------------------------------------------------------------------
// In the parent

/**
 * How an HTTP benchmark runs: BENCH_HTTP_SECONDS per run (4; 1 with --quick), BENCH_HTTP_ROUNDS rounds (BENCH_ROUNDS,
 * else 4; 2 with --quick), BENCH_HTTP_CONNECTIONS connections (10), a warm-up of 2 s (1 with --quick) per route, and
 * with --cpu-prof a fresh directory for the server's V8 CPU profile (`profileDir`, else null).
 */
export function httpSettings(name) {
  const profile = process.argv.includes("--cpu-prof");
  return {
    seconds: Number(process.env.BENCH_HTTP_SECONDS ?? (QUICK ? 1 : 4)),
    // This machine's speed drifts by a third from one minute to the next: more, shorter alternating rounds average it out.
    rounds: Number(process.env.BENCH_HTTP_ROUNDS ?? roundCount(4, 2)),
    connections: Number(process.env.BENCH_HTTP_CONNECTIONS ?? 10),
    warmupSeconds: QUICK ? 1 : 2,
    profileDir: profile ? mkdtempSync(join(os.tmpdir(), `latchkey-${name}-prof-`)) : null,
  };
}

/**
 * Forks `entry` with `args` as a benchmark's server process, with Node's flags as served (and a V8 CPU profile into
 * `profileDir` when given). Its stdout, the servers' log, is read and thrown away as a log collector would (`log`
 * counts lines and bytes), unless `stdout: "inherit"`. Returns { child, log, ready (the child's first message),
 * ask(message) (its reply), cpuUs() (the child's CPU time so far), stop() (the child's reply to "stop", or null when
 * it had gone; killed after `stopTimeoutMs`) }.
 */
export function forkServer(entry, args, { name = "server", profileDir = null, stdout = "drain", stopTimeoutMs = 10_000 } = {}) {
  const child = fork(entry, args, {
    execArgv: [...SERVER_NODE_FLAGS, ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [])],
    stdio: ["ignore", stdout === "inherit" ? "inherit" : "pipe", "inherit", "ipc"],
  });
  const log = drainLog(child);
  const ready = new Promise((resolve, reject) => {
    child.once("message", resolve);
    child.once("exit", (code) => reject(new Error(`the ${name} process exited early (${code})`)));
  });
  const ask = (message) =>
    new Promise((resolve) => {
      child.once("message", resolve);
      child.send(message);
    });
  const cpuUs = async () => (await ask("cpu")).cpuUs;
  const stop = async () => {
    if (child.exitCode !== null || !child.connected) return null;
    const timer = setTimeout(() => child.kill(), stopTimeoutMs);
    try {
      const reply = await Promise.race([ask("stop"), new Promise((resolve) => child.once("exit", () => resolve(null)))]);
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", resolve)));
      return reply;
    } finally {
      clearTimeout(timer);
    }
  };
  return { child, log, ready, ask, cpuUs, stop };
}

/**
 * One autocannon run of `duration` seconds against `route` ({ label, url, method?, headers, body? }), pipelining 1,
 * with the server process's CPU time (`cpuUs`) read before and after. Any error, timeout or non-2xx reply throws
 * (numbers that include refusals compare nothing), with what was seen as `error.measurement`.
 */
export async function measureRoute(route, { connections, duration, cpuUs }) {
  const { default: autocannon } = await import("autocannon");
  const cpu0 = await cpuUs();
  const r = await autocannon({
    url: route.url,
    ...(route.method ? { method: route.method } : {}),
    headers: route.headers,
    ...(route.body === undefined ? {} : { body: route.body }),
    connections,
    duration,
    pipelining: 1,
  });
  const serverCpuUs = (await cpuUs()) - cpu0;
  if (r.errors + r.timeouts + r.non2xx > 0) {
    const statusCodes = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, v]) => [code, v.count]));
    const error = new Error(
      `${route.label}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx of ${r.requests.total} (status codes ${JSON.stringify(statusCodes)})`,
    );
    throw Object.assign(error, {
      measurement: { route: route.label, errors: r.errors, timeouts: r.timeouts, non2xx: r.non2xx, statusCodes },
    });
  }
  return {
    requests: r.requests.total,
    seconds: r.duration,
    reqPerSec: r.requests.total / r.duration,
    serverCpuUs,
    serverCpuUsPerRequest: +(serverCpuUs / r.requests.total).toFixed(1),
    serverCpuShare: +(serverCpuUs / 1e6 / r.duration).toFixed(2),
    latencyMs: { mean: r.latency.mean, p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
  };
}

/**
 * Runs `measure(key)` once per key in each of `rounds` rounds, odd rounds in reverse order, so that the machine's
 * drift falls on every key alike and each round's runs stand next to each other; returns the runs of each key.
 */
export async function alternateRounds(keys, rounds, measure) {
  const runs = Object.fromEntries(keys.map((k) => [k, []]));
  for (let round = 0; round < rounds; round++) {
    for (const key of round % 2 === 0 ? keys : [...keys].reverse()) runs[key].push(await measure(key));
  }
  return runs;
}

/** The runs of one route in all: req/s over every run, and the mean over runs of server CPU per request and latency. */
export function summariseRuns(label, runs) {
  const total = runs.reduce((n, r) => n + r.requests, 0);
  const secs = runs.reduce((n, r) => n + r.seconds, 0);
  const mean = (f) => +(runs.reduce((n, r) => n + f(r), 0) / runs.length).toFixed(2);
  return {
    label,
    reqPerSec: Math.round(total / secs),
    serverCpuUsPerRequest: mean((r) => r.serverCpuUsPerRequest),
    latencyMs: { p50: mean((r) => r.latencyMs.p50), p99: mean((r) => r.latencyMs.p99), max: Math.max(...runs.map((r) => r.latencyMs.max)) },
  };
}
