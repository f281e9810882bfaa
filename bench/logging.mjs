// Logging (issue 17, item 7): what the access line costs. Two servers in one child process, each on its own SQLite
// database and port, identical but for the log level: "info" (`npm start`'s default: one access line per request)
// and "warn" (no access line). Server CPU per request (process.cpuUsage of the child, all threads) of authenticated
// `GET /v1/projects` and of `GET /healthz` on each, alternating rounds in one run. A round's value: CPU per request
// of GET /v1/projects at info minus at warn (the access line's cost). Goal: <= 3 µs. /healthz is logged at debug
// only, so its difference should be noise around 0. The child's stdout (the log) is read and discarded by this
// process, as a log collector would; the lines counted prove one line per logged request.
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

if (process.argv[2] === "--serve") {
  const fixtures = {};
  for (const level of LEVELS) {
    const fixture = await startFixture({ projects: 3, build: false, server: { logLevel: level } });
    fixtures[level] = { fixture, address: await fixture.app.listen({ port: 0, host: "127.0.0.1" }) };
  }
  answerParent(Object.fromEntries(Object.entries(fixtures).map(([k, f]) => [k, { address: f.address, token: f.fixture.token }])), {
    stop: async () => {
      for (const { fixture } of Object.values(fixtures)) await fixture.close();
    },
    answers: { "line-cost": lineCost },
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
  const diff = (route) => runs[`info.${route}`].map((r, i) => +(r.cpuUsPerRequest - runs[`warn.${route}`][i].cpuUsPerRequest).toFixed(2));
  const mean = (key, f) => +(runs[key].reduce((n, r) => n + f(r), 0) / runs[key].length).toFixed(2);
  const perRoute = Object.fromEntries(
    keys.map((k) => [k, { cpuUsPerRequest: mean(k, (r) => r.cpuUsPerRequest), logLinesPerRequest: mean(k, (r) => r.linesPerRequest) }]),
  );
  const healthzDiff = diff("healthz");
  process.stdout.write(
    `\naccess line: GET /v1/projects at info ${perRoute["info.projects"].cpuUsPerRequest} µs vs at warn ${perRoute["warn.projects"].cpuUsPerRequest} µs` +
      ` (${perRoute["info.projects"].logLinesPerRequest} lines/req); GET /healthz at info ${perRoute["info.healthz"].cpuUsPerRequest} µs vs warn ${perRoute["warn.healthz"].cpuUsPerRequest} µs` +
      ` (${perRoute["info.healthz"].logLinesPerRequest} lines/req)\n`,
  );
  const record = writeResult({
    benchmark: "logging-access-line",
    label: `logging as served: server CPU per authenticated GET /v1/projects at log level info (one access line) minus at warn, µs, autocannon ${connections} connections`,
    unit: "µs",
    rounds: diff("projects"),
    goal: { op: "<=", value: GOAL_US },
    method: `two servers in one child process (levels info and warn), autocannon ${connections} connections, pipelining 1, ${rounds} rounds of ${seconds} s per route (odd rounds in reverse order) after 1 s warm-up per route; a round's value = the child's CPU time per request (process.cpuUsage) of GET /v1/projects at info minus at warn in that round; the child's stdout is piped to the benchmark and discarded`,
    details: { connections, secondsPerRun: seconds, healthzInfoMinusWarnUs: healthzDiff, perRoute },
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
