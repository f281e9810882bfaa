// Logging (issue 17, item 7): what the access line costs. Servers in one child process, each on its own SQLite
// database, identical but for the log level: "info" (`npm start`'s default: one access line per request), "warn" (no
// access line) and a second "warn", the control (what a difference looks like when there is none).
// The record: server CPU per authenticated `GET /v1/projects` at info minus at warn, measured in the child with
// Fastify's inject in batches of 20 that take the servers in turn, the median of the batch-by-batch differences
// (drift between batches a millisecond apart is small; a GC or a flush landing in one batch does not move a median,
// nor does the log's write every 20 ms, a thread-pool trip of some 50 µs shared by the lines of 20 ms).
// Goal: <= 3 µs. The same difference over HTTP with autocannon, alternating rounds of seconds, is recorded beside it
// (details.http) with its control: there the machine's drift is larger than the line (session 9: control -13 to +19
// µs). The child's stdout (the log) is read and discarded by this process, as a log collector would; the lines
// counted prove one line per logged request.
//   node bench/logging.mjs            # writes bench/results/logging-access-line.json
//   node bench/logging.mjs --quick    # 2 short rounds, records to a temp dir
//   BENCH_LOG_SECONDS=3 BENCH_LOG_ROUNDS=8 BENCH_LOG_CONNECTIONS=10 node bench/logging.mjs
import process from "node:process";
import { setTimeout } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { alternateRounds, answerParent, forkServer, measureRoute } from "./child-server.mjs";
import { ensureBuilt, printHeader, QUICK, roundCount, serverModule, startFixture, writeResult } from "./lib.mjs";

const SELF = fileURLToPath(import.meta.url);
const GOAL_US = 3;
const LEVELS = ["info", "warn"];
/** The interleaved measure's servers: the two levels and a second server at warn, the control (A/A). */
const SIDES = { info: "info", warn: "warn", control: "warn" };
const BATCH = 20;

if (process.argv[2] === "--serve") {
  const fixtures = {};
  for (const [side, level] of Object.entries(SIDES)) {
    const fixture = await startFixture({ projects: 3, build: false, server: { logLevel: level } });
    fixtures[side] = { fixture, address: await fixture.app.listen({ port: 0, host: "127.0.0.1" }) };
  }
  // The interleaved measure's servers: as above, but a reply does not wait for its audit event's commit (the same on
  // every side; a commit's fsync, tens of µs that vary, would otherwise be most of what is timed).
  const inProcess = {};
  for (const [side, level] of Object.entries(SIDES)) {
    inProcess[side] = await startFixture({
      projects: 3,
      build: false,
      server: { logLevel: level, env: { LATCHKEY_AUDIT_DURABILITY: "buffered" } },
    });
  }
  answerParent(Object.fromEntries(Object.entries(fixtures).map(([k, f]) => [k, { address: f.address, token: f.fixture.token }])), {
    stop: async () => {
      for (const { fixture } of Object.values(fixtures)) await fixture.close();
      for (const fixture of Object.values(inProcess)) await fixture.close();
    },
    answers: { "line-cost": lineCost, interleaved: () => interleaved(inProcess) },
  });
} else {
  await main();
}

/**
 * The access line alone, in the served process: the server's own writer (http/access-log.ts `accessLineWriter`,
 * level info, to lib/line-writer.ts on fd 1) to this process's stdout (the pipe the benchmark drains), µs of CPU per
 * line; and, for comparison, the same six fields through pino's log.info to pino.destination (sonic-boom), what the
 * server used before.
 */
async function lineCost() {
  const { pino } = await import("pino");
  const { accessLineWriter } = await serverModule("http/access-log.js");
  const { createLineWriter } = await serverModule("lib/line-writer.js");
  const fields = { reqId: "req_abcdefgh12", method: "GET", url: "/v1/projects", status: 200, ms: 1.2, tokenId: "tok_0123456789abcdefghij" };
  const served = accessLineWriter({ level: "info", destination: createLineWriter(1) });
  const log = pino({ level: "info" }, pino.destination({ dest: 1, sync: false }));
  const perLine = (write) => {
    const n = 20_000;
    for (let i = 0; i < n; i++) write();
    const start = process.cpuUsage();
    for (let i = 0; i < n; i++) write();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / n;
  };
  return {
    usPerLine: perLine(() => served(fields, false)),
    pinoUsPerLine: perLine(() => log.isLevelEnabled("info") && log.info(fields, "request")),
  };
}

/**
 * One round of the interleaved measure, in the served process: batches of BATCH authenticated `GET /v1/projects`
 * through Fastify's `inject` (every hook and the access line to fd 1 as served; no socket), taking the three servers
 * in turn batch by batch, so that the machine's drift, minute to minute, falls on each alike. µs of CPU per request
 * of each server (process.cpuUsage around each batch).
 */
async function interleaved(fixtures) {
  const sides = Object.keys(fixtures);
  const perBatch = Object.fromEntries(sides.map((s) => [s, []]));
  const batches = Number(process.env.BENCH_LOG_BATCHES ?? (QUICK ? 50 : 400));
  const one = (side) =>
    fixtures[side].app.inject({ method: "GET", url: "/v1/projects", headers: { authorization: `Bearer ${fixtures[side].token}` } });
  for (let b = 0; b < batches; b++) {
    for (const side of b % 2 === 0 ? sides : [...sides].reverse()) {
      const start = process.cpuUsage();
      for (let i = 0; i < BATCH; i++) {
        const res = await one(side);
        if (res.statusCode !== 200) throw new Error(`${side}: status ${res.statusCode}`);
      }
      const cpu = process.cpuUsage(start);
      perBatch[side].push((cpu.user + cpu.system) / BATCH);
    }
  }
  // The median of the batches' differences: a garbage collection or a timer's flush (the audit buffer's, every 250 ms)
  // falls into one batch of one side and moves a mean by tens of µs; a median is not moved by it. What the median
  // leaves out with them: the log's write, one every 20 ms for all the lines of those 20 ms (lib/line-writer.ts).
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const diffs = (side) => perBatch[side].map((v, i) => v - perBatch.warn[i]);
  return {
    ...Object.fromEntries(sides.map((s) => [s, median(perBatch[s])])),
    infoMinusWarn: median(diffs("info")),
    controlMinusWarn: median(diffs("control")),
    meanInfoMinusWarn: mean(diffs("info")),
    meanControlMinusWarn: mean(diffs("control")),
  };
}

async function main() {
  const seconds = Number(process.env.BENCH_LOG_SECONDS ?? (QUICK ? 1 : 3));
  const rounds = Number(process.env.BENCH_LOG_ROUNDS ?? roundCount(8, 2));
  const connections = Number(process.env.BENCH_LOG_CONNECTIONS ?? 10);
  ensureBuilt();
  // The servers' stdout, their log, is read and discarded as a log collector would; `log` counts its lines.
  const serving = forkServer(SELF, ["--serve"]);
  const { log, ask } = serving;
  const ready = await serving.ready;
  const routes = {};
  // The control is a second server at warn, measured like the others: what a difference looks like when there is none.
  routes["control.projects"] = {
    label: "control.projects",
    level: "warn",
    url: `${ready.control.address}/v1/projects`,
    headers: { authorization: `Bearer ${ready.control.token}` },
  };
  for (const level of LEVELS) {
    const { address, token } = ready[level];
    routes[`${level}.projects`] = {
      label: `${level}.projects`,
      level,
      url: `${address}/v1/projects`,
      headers: { authorization: `Bearer ${token}` },
    };
    routes[`${level}.healthz`] = { label: `${level}.healthz`, level, url: `${address}/healthz`, headers: {} };
  }
  printHeader("Latchkey logging benchmark: the access line's server CPU");
  const run = async (route, duration) => {
    const lines0 = log.lines;
    const r = await measureRoute(route, { connections, duration, cpuUs: serving.cpuUs });
    await setTimeout(100); // the last lines through the pipe
    return {
      requests: r.requests,
      cpuUsPerRequest: r.serverCpuUs / r.requests,
      linesPerRequest: (log.lines - lines0) / r.requests,
    };
  };
  for (const route of Object.values(routes)) await run(route, 1); // warm-up
  const keys = Object.keys(routes);
  const runs = await alternateRounds(keys, rounds, async (key) => {
    const r = await run(routes[key], seconds);
    process.stdout.write(
      `  ${key.padEnd(14)} ${r.cpuUsPerRequest.toFixed(1).padStart(6)} µs CPU/req  ${r.linesPerRequest.toFixed(2)} log lines/req\n`,
    );
    return r;
  });
  const inProcess = [];
  await ask("interleaved"); // warm-up: the in-process servers' first requests
  for (let i = 0; i < rounds; i++) {
    const r = await ask("interleaved");
    inProcess.push(r);
    process.stdout.write(
      `  interleaved  info ${r.info.toFixed(1)}  warn ${r.warn.toFixed(1)}  control (warn) ${r.control.toFixed(1)} µs CPU/req` +
        `  -> info-warn ${r.infoMinusWarn.toFixed(2)}  control-warn ${r.controlMinusWarn.toFixed(2)}\n`,
    );
  }
  const lineRounds = [];
  const pinoRounds = [];
  for (let i = 0; i < rounds; i++) {
    const cost = await ask("line-cost");
    lineRounds.push(+cost.usPerLine.toFixed(2));
    pinoRounds.push(+cost.pinoUsPerLine.toFixed(2));
  }
  process.stdout.write(
    `  the access line alone, in the server process: ${lineRounds.join(", ")} µs CPU per line (through pino: ${pinoRounds.join(", ")})\n`,
  );
  await serving.stop();
  const diff = (key, base) => runs[key].map((r, i) => +(r.cpuUsPerRequest - runs[base][i].cpuUsPerRequest).toFixed(2));
  const mean = (key, f) => +(runs[key].reduce((n, r) => n + f(r), 0) / runs[key].length).toFixed(2);
  const perRoute = Object.fromEntries(
    keys.map((k) => [k, { cpuUsPerRequest: mean(k, (r) => r.cpuUsPerRequest), logLinesPerRequest: mean(k, (r) => r.linesPerRequest) }]),
  );
  const http = {
    infoMinusWarnUs: diff("info.projects", "warn.projects"),
    controlMinusWarnUs: diff("control.projects", "warn.projects"),
    healthzInfoMinusWarnUs: diff("info.healthz", "warn.healthz"),
  };
  process.stdout.write(
    `\nover HTTP (autocannon), GET /v1/projects info minus warn: ${http.infoMinusWarnUs.join(", ")} µs; ` +
      `the control (warn minus warn): ${http.controlMinusWarnUs.join(", ")} µs (${perRoute["info.projects"].logLinesPerRequest} lines/req at info)\n`,
  );
  const record = writeResult({
    benchmark: "logging-access-line",
    label:
      "logging as served: server CPU per authenticated GET /v1/projects at log level info (one access line) minus at warn, µs, median of paired batches in one process",
    unit: "µs",
    rounds: inProcess.map((r) => +r.infoMinusWarn.toFixed(2)),
    goal: { op: "<=", value: GOAL_US },
    method:
      `three servers in one child process, on SQLite (levels info and warn, and a second warn server, the control), audit durability buffered on all three (a commit's fsync would be most of what is timed, alike on each); ` +
      `per round, ${process.env.BENCH_LOG_BATCHES ?? (QUICK ? 50 : 400)} batches of ${BATCH} GET /v1/projects through Fastify's inject (every hook, the access line written to fd 1 as served, no socket) taking the servers in turn batch by batch; ` +
      `a round's value = the median over batches of (CPU µs per request at info) - (at warn) in the same batch turn (process.cpuUsage): the work of each request (hook, line, queueing), without the log's write every 20 ms (a thread-pool trip of some 50 µs for all the lines of 20 ms: under 1 µs a request above 2,500 requests a second), which lands in few batches; details.controlMinusWarnUs: the same for the control, the measure's noise; details.meanUs: the means over batches, which every GC and audit flush moves by tens of µs. ` +
      `details.http: ${rounds} rounds of ${seconds} s per route over HTTP with autocannon (${connections} connections), the child's CPU per request, info minus warn and control minus warn: the machine's drift between runs of seconds is larger than the line's cost there`,
    details: {
      controlMinusWarnUs: inProcess.map((r) => +r.controlMinusWarn.toFixed(2)),
      meanUs: inProcess.map((r) => ({
        infoMinusWarn: +r.meanInfoMinusWarn.toFixed(2),
        controlMinusWarn: +r.meanControlMinusWarn.toFixed(2),
      })),
      perRequestUs: inProcess.map((r) => ({ info: +r.info.toFixed(1), warn: +r.warn.toFixed(1), control: +r.control.toFixed(1) })),
      http: { connections, secondsPerRun: seconds, ...http, perRoute },
    },
  });
  const alone = writeResult({
    benchmark: "logging-access-line-alone",
    label:
      "logging as served: one access line alone (http/access-log.ts accessLineWriter, level info, six fields) written in the server process to its stdout pipe, µs of CPU per line",
    unit: "µs",
    rounds: lineRounds,
    goal: { op: "<=", value: GOAL_US },
    method: `in the child process that serves the benchmark above, between its HTTP rounds: ${rounds} rounds of 20,000 lines (after 20,000 warm-up) through the server's accessLineWriter, to fd 1 through lib/line-writer.ts (asynchronous, as served), read and discarded by the benchmark; a round's value = process.cpuUsage / lines; details.pinoUsPerLine: the same fields through pino's log.info to pino.destination (sonic-boom) on fd 1, each round`,
    details: { linesPerRound: 20_000, pinoUsPerLine: pinoRounds },
  });
  if ([record, alone].some((r) => r.verdict === "fail") && process.argv.includes("--check")) process.exitCode = 1;
}
