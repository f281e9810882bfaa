// HTTP (issue 3, "Benchmark"): authenticated `GET /v1/projects` (Bearer API token) against `GET /healthz` on the
// same server, same connections and duration, alternating after a warm-up. Goal: the median over rounds of the
// per-round ratio (req/s of the one over the other, measured back to back) >= 0.6; the API call does strictly more
// than /healthz, so a ratio above 1 is noise.
// Two servers run in one child process (autocannon in this one), each on its own SQLite database and port:
//   - "audited": the server as it is served, every request made with a token written to its audit feed;
//   - "unaudited": the same server built with `auditRequests: false`: the token path alone, without the audit write
//     that issue 4 added after this goal was set (bench/audit.mjs measures what auditing costs, against its own goal).
// The goal is checked on both; the README says which is met.
// Writes bench/results/http-unaudited.json and http-audited.json.
//   node bench/http.mjs                  # the benchmark (exit 1 only when it cannot measure, e.g. non-2xx replies)
//   node bench/http.mjs --check          # also exit 1 when a goal is missed
//   node bench/http.mjs --cpu-prof       # also write a V8 CPU profile of the servers' process to the temp dir
//   node bench/http.mjs --quick          # 2 rounds of 1 s, records to a temp dir (BENCH_RESULTS_DIR), not bench/results
//   BENCH_HTTP_SECONDS=4 BENCH_HTTP_ROUNDS=4 BENCH_HTTP_CONNECTIONS=10 node bench/http.mjs
import process from "node:process";
import { fileURLToPath } from "node:url";
import { alternateRounds, answerParent, forkServer, httpSettings, measureRoute, summariseRuns } from "./child-server.mjs";
import { ensureBuilt, printHeader, startFixture, writeResult } from "./lib.mjs";

const SELF = fileURLToPath(import.meta.url);
const { fetch } = globalThis; // Node >= 18
const GOAL = 0.6;
const SERVERS = {
  unaudited: { label: "request auditing off (auditRequests: false, the token path)", goal: GOAL, options: { auditRequests: false } },
  audited: { label: "request auditing on (as served)", goal: GOAL, options: {} },
};

// ---------------------------------------------------------------------------------------------------------------
// Child: both servers.
if (process.argv[2] === "--serve") {
  const fixtures = {};
  for (const [name, { options }] of Object.entries(SERVERS)) {
    const fixture = await startFixture({ projects: 3, build: false, server: options }); // the parent built it
    fixtures[name] = { fixture, address: await fixture.app.listen({ port: 0, host: "127.0.0.1" }) };
  }
  answerParent(Object.fromEntries(Object.entries(fixtures).map(([name, f]) => [name, { address: f.address, token: f.fixture.token }])), {
    stop: async () => {
      for (const { fixture } of Object.values(fixtures)) await fixture.close();
    },
  });
} else {
  await main();
}

async function main() {
  ensureBuilt();
  const { seconds, rounds, connections, warmupSeconds, profileDir } = httpSettings("http");
  // The servers log as served; their stdout is read and discarded as a log collector would.
  const serving = forkServer(SELF, ["--serve"], { name: "servers'", profileDir, stopTimeoutMs: 5000 });
  const ready = await serving.ready;
  /** Per server, its two routes: `${server}.healthz` and `${server}.projects`. */
  const routes = {};
  for (const name of Object.keys(SERVERS)) {
    const { address, token } = ready[name];
    routes[`${name}.healthz`] = { label: `${name} GET /healthz`, url: `${address}/healthz`, headers: {} };
    routes[`${name}.projects`] = {
      label: `${name} GET /v1/projects`,
      url: `${address}/v1/projects`,
      headers: { authorization: `Bearer ${token}` },
    };
  }

  try {
    // Every route answers 200 with what it should, before anything is timed.
    let projectsListed = 0;
    for (const [key, route] of Object.entries(routes)) {
      const res = await fetch(route.url, { headers: route.headers });
      const body = await res.json();
      const listed = body?.data?.projects;
      if (res.status !== 200 || (key.endsWith(".projects") && (!Array.isArray(listed) || listed.length === 0))) {
        throw new Error(`${route.label} -> ${res.status} ${JSON.stringify(body)}`);
      }
      if (Array.isArray(listed)) projectsListed = listed.length;
    }

    printHeader("Latchkey HTTP benchmark");
    process.stdout.write(
      `  ${connections} connections, ${rounds} rounds of ${seconds} s per route, alternating, after ${warmupSeconds} s warm-up each\n`,
    );

    // The servers' CPU time (all threads of their process), to state what one request costs whatever else runs here.
    const run = (route, duration) => measureRoute(route, { connections, duration, cpuUs: serving.cpuUs });
    for (const route of Object.values(routes)) await run(route, warmupSeconds);

    // Each round runs every route once; odd rounds in reverse, so that each pair of a server's routes is adjacent.
    const runs = await alternateRounds(Object.keys(routes), rounds, async (key) => {
      const r = await run(routes[key], seconds);
      process.stdout.write(
        `  ${routes[key].label.padEnd(28)} ${Math.round(r.reqPerSec).toLocaleString("en-US").padStart(8)} req/s  p50 ${r.latencyMs.p50} ms  p99 ${r.latencyMs.p99} ms  server ${r.serverCpuUsPerRequest} µs CPU/req (${r.serverCpuShare} cores)\n`,
      );
      return r;
    });

    const summarise = (key) => ({
      ...summariseRuns(routes[key].label, runs[key]),
      rounds: runs[key].map((r) => ({ reqPerSec: Math.round(r.reqPerSec), requests: r.requests, latencyMs: r.latencyMs })),
    });
    const results = Object.entries(SERVERS).map(([name, server]) => {
      const candidate = summarise(`${name}.projects`);
      const baseline = summarise(`${name}.healthz`);
      return {
        name,
        server,
        candidate,
        baseline,
        // Round by round: the two routes of a round ran one after the other.
        roundRatios: runs[`${name}.projects`].map((p, i) => +(p.reqPerSec / runs[`${name}.healthz`][i].reqPerSec).toFixed(3)),
        totalsRatio: +(candidate.reqPerSec / baseline.reqPerSec).toFixed(3),
        // The same comparison in server CPU per request (healthz cost / projects cost): less sensitive to other load.
        serverCpuRatio: +(baseline.serverCpuUsPerRequest / candidate.serverCpuUsPerRequest).toFixed(3),
      };
    });
    await serving.stop();

    for (const r of results) {
      process.stdout.write(
        `\nauthenticated GET /v1/projects vs GET /healthz, ${r.server.label}\n` +
          `  candidate  ${r.candidate.label.padEnd(28)} ${r.candidate.reqPerSec.toLocaleString("en-US").padStart(8)} req/s  p50 ${r.candidate.latencyMs.p50} ms  p99 ${r.candidate.latencyMs.p99} ms\n` +
          `  baseline   ${r.baseline.label.padEnd(28)} ${r.baseline.reqPerSec.toLocaleString("en-US").padStart(8)} req/s  p50 ${r.baseline.latencyMs.p50} ms  p99 ${r.baseline.latencyMs.p99} ms\n` +
          `  per-round ratios ${r.roundRatios.join(", ")} (all rounds' totals: ${r.totalsRatio})\n` +
          `  server CPU per request: ${r.candidate.serverCpuUsPerRequest} µs vs ${r.baseline.serverCpuUsPerRequest} µs (ratio ${r.serverCpuRatio})\n`,
      );
    }
    const method = `autocannon ${connections} connections, pipelining 1, ${rounds} rounds of ${seconds} s per route (each round every route of both servers, odd rounds in reverse order) after ${warmupSeconds} s warm-up per route; both servers in one child process; a round's value = req/s of GET /v1/projects / req/s of GET /healthz on the same server in that round; latency = mean over runs of autocannon's percentiles; serverCpuUsPerRequest = the servers' process CPU time / requests`;
    const records = results.map((r) =>
      writeResult({
        benchmark: `http-${r.name}`,
        label: `HTTP, ${r.server.label}: authenticated GET /v1/projects (Bearer API token, 3 projects) vs GET /healthz, req/s, autocannon ${connections} connections`,
        unit: "ratio",
        rounds: r.roundRatios,
        goal: { op: ">=", value: r.server.goal },
        boundedByOne: true,
        method,
        details: { connections, secondsPerRun: seconds, projectsListed, ...r, server: r.name },
      }),
    );
    if (profileDir) process.stdout.write(`server CPU profile: ${profileDir}\n`);
    if (records.some((r) => r.verdict === "fail") && process.argv.includes("--check")) process.exitCode = 1; // a missed goal fails only with --check
  } catch (error) {
    if (!error?.measurement) throw error;
    // Numbers that include refusals measure nothing: no record is written, the last one stays as it was.
    process.stdout.write(`\nNO RESULT: ${error.message}\n${JSON.stringify(error.measurement)}\n`);
    process.exitCode = 1;
  } finally {
    await serving.stop();
  }
}
